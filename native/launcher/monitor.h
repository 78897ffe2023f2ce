/* monitor.h: the long-lived launcher process (after daemonizing). */
#ifndef JSHIM_MONITOR_H
#define JSHIM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "container_fds.h"
#include "daemon_link.h"

enum jshim_state { JSHIM_ST_CREATING, JSHIM_ST_HANDING_OVER, JSHIM_ST_RUNNING, JSHIM_ST_EXITED };

struct jshim_mon {
	const struct jshim_config *cfg;
	enum jshim_state state;
	int sfd;     /* signalfd: CHLD INT QUIT TERM */
	int sync_fd; /* -1 once the report is written */
	struct jshim_container_fds fds;
	struct jshim_link link;
	pid_t container_pid;
	bool reaped;
	int wait_status;
	int64_t exited_at;      /* monotonic ms */
	int64_t fallback_from;  /* monotonic ms the fallback clock started, 0 = not started */
	bool hello_sent;        /* on the current connection */
	bool ready;             /* READY seen on the current connection */
	bool exited_sent;       /* EXITED told on the current connection */
	int inflight_signal;
	int64_t handover_deadline;
};

/* Runs create, the report and the hand-over; returns the process exit code. */
int jshim_monitor_run(const struct jshim_config *cfg);
/* From HANDING_OVER to the end (handover.c). Returns the exit code. */
int jshim_serve(struct jshim_mon *m);
/* Reports runtime_abnormal_termination "Runtime Exited with code 0." with stderr
 * "jshim: <why>" (used when the container cannot be handed over). */
void jshim_report_launcher_failure(struct jshim_mon *m, const char *why);

#endif
