/* daemon_link.h: connecting to jshimd, starting it when nobody answers. */
#ifndef JSHIM_DAEMON_LINK_H
#define JSHIM_DAEMON_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct jshim_link {
	const struct jshim_config *cfg;
	int fd;           /* connected socket, or -1 */
	int lock_fd;      /* <socket>.start-lock while held, or -1 */
	bool spawned;     /* this episode started a daemon that may still answer */
	int spawns;       /* daemons started in this episode */
	pid_t daemon_pid; /* the last one started, or 0 */
	int backoff_ms;   /* next retry delay, 10..250 */
	int64_t next_try; /* monotonic ms of the next attempt */
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

#endif
