/* monitor.h: the long-lived launcher process (after daemonizing). */
#ifndef JSHIM_MONITOR_H
#define JSHIM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach_keep.h"
#include "config.h"
#include "conmon_files.h"
#include "container_fds.h"
#include "daemon_link.h"
#include "sdnotify.h"
#include "oom.h"

enum jshim_state { JSHIM_ST_CREATING, JSHIM_ST_HANDING_OVER, JSHIM_ST_RUNNING, JSHIM_ST_EXITED };

struct jshim_mon {
	const struct jshim_config *cfg;
	enum jshim_state state;
	int sfd;     /* signalfd: CHLD INT QUIT TERM HUP USR1 USR2 */
	int sync_fd; /* -1 once closed (shimmy: after the report; conmon create: after the pid) */
	struct jshim_container_fds fds;
	struct jshim_link link;
	uint64_t session_id;
	pid_t container_pid;
	bool reaped;
	int wait_status;
	bool timed_out;         /* --timeout killed it: conmon status -1 */
	int64_t exit_time_ns;   /* CLOCK_REALTIME at the reap */
	int64_t exited_at;      /* monotonic ms */
	int64_t fallback_from;  /* monotonic ms the fallback clock started, 0 = not started */
	bool exit_claim_waiting; /* fallback due, but a READY daemon holds the exit file claim */
	int64_t timeout_at;     /* monotonic ms of --timeout's SIGKILL, 0 = none */
	bool hello_sent;        /* on the current connection */
	int64_t hello_at;       /* monotonic ms it was sent */
	bool served;            /* a daemon has been READY for this container (once is enough) */
	int64_t reported_at;    /* monotonic ms of the pid report, 0 = not reported */
	bool memory_released;   /* jshim_setup_memory_release done (after the first READY) */
	bool ready;             /* READY seen on the current connection */
	bool exited_sent;       /* EXITED told on the current connection */
	int inflight_signal;
	int64_t handover_deadline;
	/* conmon */
	struct jshim_ctl ctl;   /* fds -1 when not open */
	bool ctl_open;
	int win_rows, win_cols; /* last resize from ctl "1 r c" (applied to the pty with -t) */
	bool reopen_due;        /* ctl "2 0 0": send REOPEN_LOG after the next READY */
	bool reopen_sent;       /* sent on the current connection (resent after a reconnect) */
	struct jshim_oom oom;
	struct jshim_attach_keep attach_clients; /* duplicates of the daemon's attach clients */
	struct jshim_tty *tty;  /* -t (tty.h), else NULL */
	struct jshim_sdnotify notify; /* --sdnotify-socket relay; fd -1 without */
	bool output_done;       /* the container's output is all in the pipes (tty: the relay's EIO) */
};

/* The first hand-over (HANDING_OVER, pid not reported yet): what to do next. */
enum jshim_ho_step {
	JSHIM_HO_WAIT,         /* poll until *until: READY, or news about the daemon */
	JSHIM_HO_REPORT,       /* READY: report the pid, RUNNING (the warm path) */
	JSHIM_HO_REPORT_EARLY, /* a daemon is on its way: report now, RUNNING without READY */
	JSHIM_HO_FAIL_GONE,    /* the daemon we started exited at once, twice: fail the create */
	JSHIM_HO_FAIL_TIMEOUT, /* no daemon within the hand-over deadline: fail the create */
};
/* A fresh daemon (ours) that is connected gets this long after the HELLO to be READY. */
#define JSHIM_READY_GRACE_MS 50
struct jshim_ho_view {
	int64_t now, deadline;   /* monotonic ms; deadline = create end + JSHIM_DAEMON_TIMEOUT */
	bool ready;              /* READY on the current connection */
	enum jshim_daemon_outlook outlook; /* jshim_link_outlook */
	int64_t hello_at;        /* HELLO sent on the current connection, 0 = none */
	int64_t spawned_at;      /* our last daemon start */
};
/* handover_step.c. *until: when to look again (for JSHIM_HO_WAIT). */
enum jshim_ho_step jshim_handover_step(const struct jshim_ho_view *v, int64_t *until);

/* Runs create, the report and the hand-over; returns the process exit code. orig_stdio:
 * passthrough's copies of the launcher's original stdio (else NULL), closed (set to -1) once
 * the runtime has them, as conmon lets go of them after forking the runtime. */
int jshim_monitor_run(const struct jshim_config *cfg, int *orig_stdio);
/* From HANDING_OVER to the end (handover.c). Returns the exit code. */
int jshim_serve(struct jshim_mon *m);

/* report_dialect.c: what the manager is told, in the config's dialect. */
/* Create (or exec) succeeded and the daemon is READY: the pid. */
void jshim_report_created(struct jshim_mon *m);
/* The runtime failed: shimmy's runtime_abnormal_termination with status and its stderr;
 * conmon's {key: -1, "message": stderr, or "<runtime> <status>" when stderr is empty}. */
void jshim_report_runtime_failure(struct jshim_mon *m, const char *status, const char *err, size_t len);
/* The launcher itself failed ("jshim: <why>"); used when the container cannot be handed
 * over or a file the daemon needs cannot be opened. */
void jshim_report_launcher_failure(struct jshim_mon *m, const char *why);
/* Exec: the exit status on the sync fd after the exit file, EPIPE ignored; closes it. */
void jshim_report_exec_exit(struct jshim_mon *m);

/* conmon_exit.c: conmon's steps around the reap. */
/* Right after the reap, before EXITED: OOM files, <persist>/exit, inherited fds closed. */
void jshim_conmon_on_reap(struct jshim_mon *m);
/* ctl lines: resize stored, "2 0 0" turned into REOPEN_LOG. Called from the poll loops. */
void jshim_conmon_read_ctl(struct jshim_mon *m);
/* Sends REOPEN_LOG if one is due and the daemon is READY on the current connection. */
void jshim_conmon_send_reopen(struct jshim_mon *m);
/* --timeout: SIGKILLs the container's process group. */
void jshim_conmon_timeout(struct jshim_mon *m);

/* inherited.c: fds open when the main process started (not 0-2, not the _OCI_ pipes). */
void jshim_inherited_record(const struct jshim_config *cfg);
void jshim_inherited_close(void);

#endif
