/* handover.c: HANDING_OVER -> RUNNING -> EXITED -> done, one poll loop over the signalfd,
 * the daemon link and retry/fallback deadlines. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_path.h"
#include "hand_fds.h"
#include "hello.h"
#include "log.h"
#include "monitor.h"
#include "report.h"
#include "setup_memory.h"
#include "tty.h"
#include "util.h"

#define SERVE_DONE 1000 /* internal: leave the loop with exit code (r - SERVE_DONE) */

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The process exit code once the exit is done: shimmy 0; conmon the status (-1 -> 255). */
static int exit_code(const struct jshim_mon *m)
{
	if (m->cfg->dialect != JSHIM_DIALECT_CONMON)
		return 0;
	return jshim_conmon_status(m->wait_status, m->timed_out) & 0xff;
}

static void link_lost(struct jshim_mon *m, const char *why)
{
	if (m->state != JSHIM_ST_HANDING_OVER && !m->served)
		/* the pid went out before READY (cold start): the first hand-over failed, and is
		 * retried as a later loss is; the output waits in the pipes, the exit status here */
		log_error("the first hand-over failed after the early report of pid %d (%s): retrying as "
			  "after a loss; the exit file is written by the fallback if no daemon comes",
			  (int)m->container_pid, why);
	else
		log_warn("daemon connection lost (%s); reconnecting", why);
	jshim_link_lost(&m->link);
	if (m->reopen_sent)
		m->reopen_due = true; /* no DONE on that connection: the next daemon reopens too */
	m->hello_sent = m->ready = m->exited_sent = m->reopen_sent = false;
}

static void send_hello(struct jshim_mon *m)
{
	int fds[JSHIM_MAX_FDS];
	uint32_t tokens[JSHIM_MAX_ATTACH_CLIENTS];
	const char *strs[JSHIM_HELLO2_NSTRINGS];
	struct jshim_hello2 h;
	memset(&h, 0, sizeof h);
	jshim_hello2_fill(m->cfg, &m->fds, &h, fds, strs);
	unsigned ntokens = jshim_attach_keep_hand(&m->attach_clients, &h, fds, tokens);
	bool exited = m->reaped && m->output_done; /* -t: EXITED only once the relay is drained */
	h.state = exited ? JSHIM_STATE_EXITED : JSHIM_STATE_RUNNING;
	h.launcher_pid = getpid();
	h.container_pid = m->container_pid;
	if (exited) {
		h.wait_status = m->wait_status;
		h.exit_flags = m->timed_out ? JSHIM_EXIT_TIMED_OUT : 0;
		h.exit_time_ns = m->exit_time_ns;
	}
	h.session_id = m->session_id;
	int r = jshim_hello2_send(m->link.fd, &h, strs, fds, tokens, ntokens);
	if (r < 0) {
		link_lost(m, strerror(-r));
		return;
	}
	m->hello_sent = true;
	m->hello_at = jshim_now_ms();
	m->exited_sent = exited;
	log_debug("HELLO v2 sent (state %s, flags 0x%x, %u fds, log size max %llu)",
		  exited ? "EXITED" : "RUNNING", h.flags, h.nfds, (unsigned long long)h.log_size_max);
}

static void send_exited_if_due(struct jshim_mon *m)
{
	if (!m->reaped || !m->output_done || !m->ready || m->exited_sent || m->link.fd < 0)
		return;
	struct jshim_exited2 e = { m->wait_status, m->timed_out ? JSHIM_EXIT_TIMED_OUT : 0, m->exit_time_ns };
	int r = jshim_exited2_send(m->link.fd, &e);
	if (r < 0) {
		link_lost(m, strerror(-r));
		return;
	}
	m->exited_sent = true;
	log_debug("EXITED sent (wait status 0x%x%s)", m->wait_status, m->timed_out ? ", timed out" : "");
}

/* First hand-over failed: kill and reap the container, report, and leave. */
static int fail_handover(struct jshim_mon *m, const char *why)
{
	log_error("hand-over failed: %s; killing the container %d", why, (int)m->container_pid);
	if (!m->reaped) {
		int st;
		if (kill(m->container_pid, SIGKILL) < 0)
			log_error("kill %d SIGKILL: %s", (int)m->container_pid, strerror(errno));
		while (waitpid(m->container_pid, &st, 0) < 0 && errno == EINTR)
			;
		m->reaped = true;
	}
	jshim_report_launcher_failure(m, why);
	return SERVE_DONE + 1;
}

/* The pid goes out: on READY (warm), or early while a daemon is on its way (cold). A signal
 * that found the runtime gone during create (inflight) reaches the container now. */
static void report_pid(struct jshim_mon *m, bool early)
{
	jshim_report_created(m);
	m->reported_at = jshim_now_ms();
	m->state = m->reaped ? JSHIM_ST_EXITED : JSHIM_ST_RUNNING;
	if (early)
		log_info("reported container pid %d before the daemon is READY (daemon %s)", (int)m->container_pid,
			 jshim_daemon_outlook_name(jshim_link_outlook(&m->link, m->reported_at)));
	else
		log_info("daemon READY; reported container pid %d", (int)m->container_pid);
	if (m->inflight_signal > 0 && !m->reaped && kill(m->container_pid, m->inflight_signal) < 0)
		log_warn("kill %d (inflight signal %d): %s", (int)m->container_pid, m->inflight_signal,
			 strerror(errno));
}

static void on_ready(struct jshim_mon *m)
{
	m->ready = true;
	if (m->state == JSHIM_ST_HANDING_OVER)
		report_pid(m, false);
	else if (!m->served)
		log_info("daemon READY, %d ms after the early report", (int)(jshim_now_ms() - m->reported_at));
	else
		log_info("daemon READY again after reconnecting");
	m->served = true;
	send_exited_if_due(m);
	jshim_conmon_send_reopen(m);
}

/* Once the daemon has the container: the set-up's stack and free heap go back to the kernel
 * for the launcher's long sleep (setup_memory.c). */
static void release_setup_memory(struct jshim_mon *m)
{
	if (m->memory_released || !m->served)
		return;
	m->memory_released = true;
	long r = jshim_setup_memory_release();
	if (r < 0)
		log_debug("set-up memory not given back: %s", strerror((int)-r));
	else
		log_debug("set-up memory given back (%ld bytes of stack)", r);
}

static int on_message(struct jshim_mon *m, const struct jshim_dmsg *msg)
{
	switch (msg->type) {
	case JSHIM_MSG_READY:
		on_ready(m);
		return 0;
	case JSHIM_MSG_FAILED: {
		char why[700];
		snprintf(why, sizeof why, "the daemon cannot serve the container: %s (%s)", msg->text,
			 strerror(msg->err));
		if (m->state == JSHIM_ST_HANDING_OVER)
			return fail_handover(m, why);
		link_lost(m, why);
		return 0;
	}
	case JSHIM_MSG_CLOSE_STDIN:
		log_info("CLOSE_STDIN: closing the container's stdin");
		jshim_close(&m->fds.fd[JSHIM_CFD_STDIN]);
		return 0;
	case JSHIM_MSG_ATTACH_CLIENT:
		jshim_attach_keep_add(&m->attach_clients, msg->token, msg->fd);
		return 0;
	case JSHIM_MSG_ATTACH_CLIENT_GONE:
		jshim_attach_keep_gone(&m->attach_clients, msg->token);
		return 0;
	case JSHIM_MSG_DONE:
		if (!m->reaped) {
			link_lost(m, "DONE before the container exited");
			return 0;
		}
		log_info("DONE: the daemon wrote the exit file; exiting");
		jshim_attach_keep_close_all(&m->attach_clients); /* the clients see EOF now */
		jshim_report_exec_exit(m);
		return SERVE_DONE + exit_code(m);
	}
	return 0;
}

static int read_link(struct jshim_mon *m)
{
	while (m->link.fd >= 0) {
		struct jshim_dmsg msg;
		int r = jshim_msg_recv(m->link.fd, &msg);
		if (r == -EAGAIN)
			return 0;
		if (r < 0) {
			link_lost(m, r == -EPROTO ? "protocol error" : "closed by the daemon");
			return 0;
		}
		r = on_message(m, &msg);
		if (r >= SERVE_DONE)
			return r;
	}
	return 0;
}

static void reap(struct jshim_mon *m)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return;
		if (p != m->container_pid || m->reaped) {
			log_debug("reaped child %d (not the container), wait status 0x%x", (int)p, st);
			continue;
		}
		m->reaped = true;
		m->wait_status = st;
		m->exited_at = jshim_now_ms();
		m->exit_time_ns = realtime_ns();
		log_info("container %d exited, wait status 0x%x%s", (int)p, st,
			 m->timed_out ? " (killed by --timeout)" : "");
		jshim_conmon_on_reap(m);
		if (m->state == JSHIM_ST_RUNNING)
			m->state = JSHIM_ST_EXITED;
		send_exited_if_due(m);
	}
}

static void read_signals(struct jshim_mon *m)
{
	struct signalfd_siginfo si;
	while (read(m->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD)
			continue;
		if (sig != SIGINT && sig != SIGQUIT && sig != SIGTERM) {
			log_info("signal %d ignored", sig);
		} else if (m->reaped) {
			log_info("signal %d: the container already exited, not forwarded", sig);
		} else if (kill(m->container_pid, sig) < 0) {
			log_warn("kill %d signal %d: %s", (int)m->container_pid, sig, strerror(errno));
		} else {
			log_info("signal %d forwarded to the container %d", sig, (int)m->container_pid);
		}
	}
	reap(m);
}

/* The launcher writes the exit file itself, if it wins the claim (jshim_protocol.h). Returns
 * SERVE_DONE + code when done, or 0 while a READY daemon holds the claim (wait for its DONE). */
static int fallback(struct jshim_mon *m)
{
	enum jshim_exit_claim claim = JSHIM_CLAIM_OURS;
	int journal = m->fds.fd[JSHIM_FD_JOURNAL];
	/* a claim of a daemon that is not READY on our connection is stale: it released the
	 * container (lost connection) or died */
	if (jshim_journal_claim_exit(journal, !m->ready, &claim) < 0)
		log_warn("fallback: could not claim the exit file in the journal; writing it anyway");
	if (claim == JSHIM_CLAIM_DAEMON) {
		if (!m->exit_claim_waiting)
			log_warn("fallback: the daemon claimed the exit file and is writing it; waiting for DONE");
		m->exit_claim_waiting = true;
		return 0;
	}
	if (claim == JSHIM_CLAIM_WRITTEN) {
		log_warn("fallback: no daemon finished the exit within %d ms; the journal says the exit "
			 "file exists", (int)(jshim_now_ms() - m->fallback_from));
		jshim_report_exec_exit(m);
		return SERVE_DONE + exit_code(m);
	}
	int r = jshim_exit_file_write_at_time(m->fds.fd[JSHIM_CFD_EXIT_DIR], m->fds.exit_name, m->cfg->exit_format,
					      m->wait_status, m->timed_out, m->exit_time_ns);
	if (r < 0) {
		log_error("fallback: write exit file %s: %s", m->cfg->exit_path, strerror(-r));
		return SERVE_DONE + 1;
	}
	log_warn("fallback: no daemon finished the exit within %d ms: wrote the exit file %s myself "
		 "(wait status 0x%x; output not drained to the log)",
		 (int)(jshim_now_ms() - m->fallback_from), m->cfg->exit_path, m->wait_status);
	jshim_report_exec_exit(m);
	return SERVE_DONE + exit_code(m);
}


/*
 * When the launcher writes the exit file itself. The clock starts once, at the first moment
 * after the exit that no daemon is READY (the exit itself, or the first loss after it), and
 * is never reset, so a crash-looping daemon cannot postpone the exit file forever. At
 * start + fallback the launcher falls back unless a daemon is on its way (connected, or
 * being started by this or another launcher); that grace ends at start + fallback + daemon
 * timeout, whatever happens. A READY daemon that got EXITED has until exit + fallback +
 * daemon timeout to send DONE; after that it counts as stuck and the launcher falls back,
 * fencing it off with JSHIM_JOURNAL_EXIT_TAKEN first.
 */
static int64_t fallback_due(struct jshim_mon *m, int64_t now)
{
	if (m->fallback_from == 0 && m->ready) {
		/* EXITED told to a READY daemon: wait for DONE, but not forever. A daemon that is
		 * connected and READY yet sends no DONE in fallback + daemon timeout is stuck. */
		int64_t stuck = m->exited_at + m->cfg->fallback_ms + m->cfg->daemon_timeout_ms;
		if (now < stuck)
			return stuck;
		log_warn("the daemon is READY but sent no DONE within %d ms of the exit: it is stuck",
			 (int)(now - m->exited_at));
		m->fallback_from = m->exited_at;
		return now;
	}
	if (m->fallback_from == 0) {
		m->fallback_from = now > m->exited_at ? now : m->exited_at;
		log_info("fallback clock started: exit file in at most %d ms without a daemon",
			 m->cfg->fallback_ms + m->cfg->daemon_timeout_ms);
	}
	int64_t soft = m->fallback_from + m->cfg->fallback_ms;
	int64_t hard = soft + m->cfg->daemon_timeout_ms;
	if (now < soft)
		return soft;
	if (now < hard && jshim_link_starting(&m->link))
		return jshim_min64(hard, now + 100); /* look again soon: the daemon may be up */
	return now;
}

/* HANDING_OVER: report on READY (on_ready), report early while a daemon is on its way, or
 * fail the create when no daemon can come (handover_step.c). */
static int handing_over(struct jshim_mon *m, int64_t now, int64_t *until)
{
	struct jshim_ho_view v = { now, m->handover_deadline, m->ready, jshim_link_outlook(&m->link, now),
				   m->link.fd >= 0 && m->hello_sent ? m->hello_at : 0, m->link.spawned_at };
	char why[PATH_MAX + 160];
	switch (jshim_handover_step(&v, until)) {
	case JSHIM_HO_WAIT:
	case JSHIM_HO_REPORT: /* READY is handled as it arrives (on_ready) */
		return 0;
	case JSHIM_HO_REPORT_EARLY:
		report_pid(m, true);
		return 0;
	case JSHIM_HO_FAIL_GONE:
		snprintf(why, sizeof why, "the daemon %s exited right after it was started, twice (see jshimd.log "
			 "next to %s)", m->cfg->jshimd ? m->cfg->jshimd : jshim_default_jshimd(), m->cfg->daemon_socket);
		return fail_handover(m, why);
	case JSHIM_HO_FAIL_TIMEOUT:
		snprintf(why, sizeof why, "no daemon answered at %s within %d s", m->cfg->daemon_socket,
			 m->cfg->daemon_timeout_ms / 1000);
		return fail_handover(m, why);
	}
	return 0;
}

static int serve(struct jshim_mon *m);

int jshim_serve(struct jshim_mon *m)
{
	int r = serve(m);
	jshim_attach_keep_close_all(&m->attach_clients); /* whatever ended it: no client waits on us */
	return r;
}

static int serve(struct jshim_mon *m)
{
	reap(m); /* a container that died during phase 1 (conmon leaves it a zombie until now) */
	for (;;) {
		int64_t now = jshim_now_ms();
		int64_t wake = INT64_MAX; /* nothing due: sleep until an fd wakes us (1000 idle launchers, 0 wake-ups) */
		if (!m->output_done && jshim_tty_output_done(m, now, &wake)) {
			m->output_done = true;
			send_exited_if_due(m);
		}
		if (m->link.fd < 0 && now >= m->link.next_try)
			jshim_link_try(&m->link);
		if (m->link.fd >= 0 && !m->hello_sent)
			send_hello(m);
		if (m->link.fd < 0)
			wake = jshim_min64(wake, m->link.next_try);
		if (m->state == JSHIM_ST_HANDING_OVER) {
			int64_t until;
			int r = handing_over(m, now, &until);
			if (r >= SERVE_DONE)
				return r - SERVE_DONE;
			if (m->state == JSHIM_ST_HANDING_OVER)
				wake = jshim_min64(wake, until);
		}
		if (m->timeout_at > 0 && !m->reaped) {
			if (now >= m->timeout_at)
				jshim_conmon_timeout(m);
			else
				wake = jshim_min64(wake, m->timeout_at);
		}
		if (m->reaped && m->state == JSHIM_ST_EXITED) {
			int64_t due = fallback_due(m, now);
			if (due <= now) {
				int r = fallback(m);
				if (r >= SERVE_DONE)
					return r - SERVE_DONE;
				due = now + 200; /* a READY daemon holds the claim: look again soon */
			}
			wake = jshim_min64(wake, due);
		}
		struct pollfd pfd[4 + JSHIM_TTY_NPOLL] = { { m->sfd, POLLIN, 0 },
							   { m->ctl_open ? m->ctl.ctl_r : -1, POLLIN, 0 },
							   { m->link.fd, POLLIN, 0 },
							   { m->notify.fd, POLLIN, 0 } };
		jshim_tty_poll(m, pfd + 4);
		int timeout = wake == INT64_MAX ? -1 : wake > now ? (int)jshim_min64(wake - now, INT_MAX) : 0;
		if (poll(pfd, 4 + JSHIM_TTY_NPOLL, timeout) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		jshim_tty_ready(m); /* -t: the relay first, so output reaches the pipe before EXITED */
		if (pfd[0].revents)
			read_signals(m);
		if (pfd[1].revents)
			jshim_conmon_read_ctl(m);
		if (pfd[3].revents)
			jshim_sdnotify_relay(&m->notify);
		if (m->link.fd >= 0 && pfd[2].fd == m->link.fd && pfd[2].revents) {
			int r = read_link(m);
			if (r >= SERVE_DONE)
				return r - SERVE_DONE;
			release_setup_memory(m);
		}
	}
}
