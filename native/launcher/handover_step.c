/* handover_step.c: when the first hand-over reports the container's pid (issue 12, cold
 * start). A pure function of what the launcher knows, so the unit tests can walk it. */
#include "monitor.h"
#include "util.h"

#include <stdbool.h>

enum jshim_ho_step jshim_handover_step(const struct jshim_ho_view *v, int64_t *until)
{
	*until = v->deadline;
	if (v->ready)
		return JSHIM_HO_REPORT; /* the warm path: READY within a few ms of the HELLO */
	if (v->outlook == JSHIM_DAEMON_GONE)
		return JSHIM_HO_FAIL_GONE;
	if (v->now >= v->deadline)
		return JSHIM_HO_FAIL_TIMEOUT;
	switch (v->outlook) {
	case JSHIM_DAEMON_STARTING: /* ours, alive past the viable window: the JVM is coming up */
	case JSHIM_DAEMON_OTHERS:   /* a live launcher holds the start lock: it starts one */
		return JSHIM_HO_REPORT_EARLY;
	case JSHIM_DAEMON_OURS: /* a fresh daemon answers: its READY is worth a short wait only */
		if (v->hello_at > 0 && v->now >= v->hello_at + JSHIM_READY_GRACE_MS)
			return JSHIM_HO_REPORT_EARLY;
		if (v->hello_at > 0)
			*until = jshim_min64(v->deadline, v->hello_at + JSHIM_READY_GRACE_MS);
		return JSHIM_HO_WAIT;
	case JSHIM_DAEMON_YOUNG: /* ours, too young to tell from one that exits at once */
		*until = jshim_min64(v->deadline, jshim_max64(v->now + JSHIM_DAEMON_LOOK_MS,
								 v->spawned_at + JSHIM_DAEMON_VIABLE_MS));
		return JSHIM_HO_WAIT;
	default:
		/* CONNECTED: a running daemon, READY in a few ms (as before: wait for it, so a
		 * daemon that refuses this launcher, e.g. an older one, fails the create as ever);
		 * UNKNOWN: nobody answers yet, the next attempt takes the lock and starts one */
		return JSHIM_HO_WAIT;
	}
}

/* utime + stime of all its threads, in ms (tick resolution); 0 when unreadable. */
static long daemon_cpu_ms(pid_t pid)
{
	char state;
	long cpu_ms;
	return jshim_proc_stat(pid, &state, &cpu_ms) == 0 ? cpu_ms : 0;
}

enum jshim_daemon_outlook jshim_link_outlook(const struct jshim_link *l, int64_t now)
{
	if (l->fd >= 0)
		return l->spawned ? JSHIM_DAEMON_OURS : JSHIM_DAEMON_CONNECTED;
	if (l->spawned) {
		if (jshim_daemon_died(l->daemon_pid)) /* started again at the next attempt, if it may */
			return l->spawns < JSHIM_SPAWNS_PER_EPISODE ? JSHIM_DAEMON_UNKNOWN : JSHIM_DAEMON_GONE;
		if (now - l->spawned_at < JSHIM_DAEMON_VIABLE_MS)
			return JSHIM_DAEMON_YOUNG;
		/* alive that long may only mean not scheduled yet (a loaded host): it must also
		 * have run a little, or have lived much longer (a wrapper that sleeps first) */
		if (l->daemon_pid > 0 && now - l->spawned_at < JSHIM_DAEMON_PATIENT_MS &&
		    daemon_cpu_ms(l->daemon_pid) < JSHIM_DAEMON_VIABLE_CPU_MS)
			return JSHIM_DAEMON_YOUNG;
		return JSHIM_DAEMON_STARTING;
	}
	return l->lock_busy ? JSHIM_DAEMON_OTHERS : JSHIM_DAEMON_UNKNOWN;
}

const char *jshim_daemon_outlook_name(enum jshim_daemon_outlook o)
{
	static const char *const names[] = { "unknown", "connected", "ours, connected", "young",
					     "starting", "started by another launcher", "gone" };
	return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "?";
}
