/* daemon_link.h: connecting to jshimd, starting it when nobody answers. */
#ifndef JSHIM_DAEMON_LINK_H
#define JSHIM_DAEMON_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "daemon_spawn.h"

struct jshim_link {
	const struct jshim_config *cfg;
	int fd;           /* connected socket, or -1 */
	int lock_fd;      /* <socket>.start-lock while held, or -1 */
	bool spawned;     /* this episode started a daemon that may still answer */
	int spawns;       /* daemons started in this episode */
	pid_t daemon_pid; /* the last one started; 0 = unknown (systemd starts it), -1 = start failed */
	int64_t spawned_at; /* monotonic ms of the last start */
	int backoff_ms;   /* next retry delay, 10..250 */
	int64_t next_try; /* monotonic ms of the next attempt */
	int64_t begun_at; /* monotonic ms of this episode's start */
	int64_t deadline; /* end of this episode (lock released then) */
	bool lock_busy;   /* last attempt found the start lock held: another launcher starts one */
	int episodes;     /* connect episodes that ended without a daemon (for the log) */
	int64_t connected_at; /* monotonic ms of the last successful connect */
};

void jshim_link_init(struct jshim_link *l, const struct jshim_config *cfg);
/* Starts a connect episode now (resets backoff, deadline = now + daemon timeout). */
void jshim_link_begin(struct jshim_link *l);
/* One attempt: 0 = connected (l->fd), -EAGAIN = try again at l->next_try. Holds the start
 * lock across attempts until connected or past the deadline; an attempt past the deadline
 * begins a new episode first. A started daemon that dies before answering is replaced once. */
int jshim_link_try(struct jshim_link *l);
/* Closes the connection (lost) and begins a new episode. */
void jshim_link_lost(struct jshim_link *l);
void jshim_link_close(struct jshim_link *l);
/* True while a daemon may be on its way: connected but not yet done, or this episode
 * started one (or another launcher holds the start lock) and the episode is not over. */
bool jshim_link_starting(const struct jshim_link *l);

/* Daemons one episode may start: the first, and one more if the first died without ever
 * answering (killed while starting). A jshimd that cannot start at all is thus retried twice
 * per JSHIM_DAEMON_TIMEOUT, never in a loop. */
#define JSHIM_SPAWNS_PER_EPISODE 2

/* A daemon this launcher started counts as starting (not "exited at once": /bin/false, no
 * java, a JVM flag it rejects) once it has lived JSHIM_DAEMON_VIABLE_MS and used
 * JSHIM_DAEMON_VIABLE_CPU_MS of CPU (a JVM does in its first tens of ms; on a loaded host the
 * wall time alone may only mean it has not run yet), or lived JSHIM_DAEMON_PATIENT_MS (a
 * wrapper that sleeps before it execs jshimd). Looked at every JSHIM_DAEMON_LOOK_MS. */
#define JSHIM_DAEMON_VIABLE_MS 100
#define JSHIM_DAEMON_VIABLE_CPU_MS 20
#define JSHIM_DAEMON_PATIENT_MS 1000
#define JSHIM_DAEMON_LOOK_MS 10

/* What the link knows about a daemon coming up, for the first hand-over (handover_step.c). */
enum jshim_daemon_outlook {
	JSHIM_DAEMON_UNKNOWN,   /* nobody answers and no start is known (yet), or the peer is not ours */
	JSHIM_DAEMON_CONNECTED, /* connected to a daemon that was running already */
	JSHIM_DAEMON_OURS,      /* connected to the daemon this episode started */
	JSHIM_DAEMON_YOUNG,     /* this episode started one that lives but is not viable yet */
	JSHIM_DAEMON_STARTING,  /* ... that is viable (or systemd starts it: no pid to watch) */
	JSHIM_DAEMON_OTHERS,    /* another launcher holds the start lock: it is starting one */
	JSHIM_DAEMON_GONE,      /* what this episode started exited at once, and it may start no more */
};
/* handover_step.c; reads /proc/<pid>/stat of the daemon it started. */
enum jshim_daemon_outlook jshim_link_outlook(const struct jshim_link *l, int64_t now);
const char *jshim_daemon_outlook_name(enum jshim_daemon_outlook o);

#endif
