/* monitor.c: set-up, runtime create/restore/exec (phase 1) and its report on failure. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_command.h"
#include "fds_open.h"
#include "jshim_protocol.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "runtime.h"
#include "sockdir.h"
#include "sync_msg.h"
#include "tty.h"
#include "util.h"

static bool conmon(const struct jshim_mon *m)
{
	return m->cfg->dialect == JSHIM_DIALECT_CONMON;
}

static int setup_process(struct jshim_mon *m, sigset_t *oldmask)
{
	sigset_t set;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		int e = errno;
		log_error("prctl PR_SET_CHILD_SUBREAPER: %s", strerror(e));
		return -e;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	/* must not kill the monitor and orphan the container (either dialect): read and ignored */
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, oldmask) < 0) {
		int e = errno;
		log_error("sigprocmask SIG_BLOCK: %s", strerror(e));
		return -e;
	}
	m->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sfd < 0) {
		int e = errno;
		log_error("signalfd: %s", strerror(e));
		return -e;
	}
	signal(SIGPIPE, SIG_IGN);
	if (m->sync_fd >= 0 && fcntl(m->sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;
		log_error("fcntl FD_CLOEXEC sync fd %d: %s", m->sync_fd, strerror(e));
		return -e;
	}
	if (getrandom(&m->session_id, sizeof m->session_id, 0) != sizeof m->session_id) {
		int e = errno;
		log_error("getrandom (session id): %s", strerror(e));
		return -e;
	}
	return 0;
}

/* Phase 1 polls ctl and, with -t, the console socket and the pty relay. */
static void p1_fill(void *arg, struct pollfd *pfd)
{
	struct jshim_mon *m = arg;
	pfd[0] = (struct pollfd){ m->ctl_open ? m->ctl.ctl_r : -1, POLLIN, 0 };
	pfd[1] = (struct pollfd){ m->notify.fd, POLLIN, 0 };
	jshim_tty_poll(m, pfd + 2);
}

static void p1_ready(void *arg, const struct pollfd *pfd)
{
	struct jshim_mon *m = arg;
	if (pfd[0].revents)
		jshim_conmon_read_ctl(m);
	if (pfd[1].revents)
		jshim_sdnotify_relay(&m->notify);
	jshim_tty_ready(m);
}

/* conmon: everything the manager may touch exists before the runtime runs. */
static int conmon_prepare(struct jshim_mon *m, char *why, size_t len)
{
	const struct jshim_config *cfg = m->cfg;
	int r = jshim_fds_open(cfg, &m->fds, why, len);
	if (r < 0)
		return r;
	if (cfg->attach_format != 0) { /* no ctl/winsz in passthrough mode */
		cleanup_fd int dir = open(cfg->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0) {
			r = -errno;
			snprintf(why, len, "open the bundle %s: %s", cfg->bundle, strerror(-r));
			return r;
		}
		r = jshim_ctl_open(&m->ctl, dir);
		if (r < 0) {
			snprintf(why, len, "create ctl and winsz in %s: %s", cfg->bundle, strerror(-r));
			return r;
		}
		m->ctl_open = true;
	}
	if (cfg->sdnotify_socket != NULL) { /* before the runtime: the container may notify at once */
		r = jshim_sdnotify_open(&m->notify, cfg->bundle, cfg->sdnotify_socket, why, len);
		if (r < 0)
			return r;
	}
	r = jshim_tty_prepare(m, why, len); /* -t: the console socket */
	if (r < 0)
		return r;
	if (cfg->exec_attach && cfg->attach_pipe_fd >= 0) {
		/* the attach socket, ctl and winsz exist: the manager may connect */
		r = jshim_sync_send(cfg->attach_pipe_fd, jshim_sync_key(cfg->api_version), 0, NULL, 0);
		if (r < 0) {
			snprintf(why, len, "write the attach pipe fd %d: %s", cfg->attach_pipe_fd, strerror(-r));
			return r;
		}
		close(cfg->attach_pipe_fd);
	}
	return 0;
}

/* shimmy (spec 3.5): the runtime exiting 0 while the container init already died is an
 * abnormal termination. Phase 1 reaps only the runtime, so only the pid file's pid counts:
 * another child exiting during create (a hook's orphan, re-parented to us as subreaper) is
 * left for the serve loop, which reaps it as "not the container". */
static void shimmy_container_died(struct jshim_mon *m, struct jshim_phase1 *p1)
{
	int st;
	pid_t w;
	while ((w = waitpid(m->container_pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (w == m->container_pid) {
		p1->container_died = true;
		p1->container_status = st;
		log_warn("the container %d died during create, wait status 0x%x", (int)w, st);
	} else if (w < 0) {
		log_warn("waitpid %d (the pid file's pid): %s", (int)m->container_pid, strerror(errno));
	}
}

/* Phase 1. 0 when the container was created and its pid read; 1 when a failure was
 * reported; -errno when nothing could be reported. */
static int create(struct jshim_mon *m, const sigset_t *oldmask, int *orig_stdio)
{
	const struct jshim_config *cfg = m->cfg;
	int child[3];
	struct jshim_runtime rt = { 0 };
	rt.only_runtime = true; /* only the runtime and the pid file's pid decide the create */
	bool pass = conmon(m) && (cfg->log_drivers & JSHIM_LOGDRV_PASSTHROUGH);
	int r = jshim_runtime_pipes(cfg, &m->fds, pass ? orig_stdio : NULL, child);
	if (r == 0)
		r = jshim_tty_take_pipes(m, child);
	if (r == 0)
		r = jshim_runtime_spawn(cfg, oldmask, child, jshim_tty_console_path(m), &rt.pid);
	for (int i = 0; i < 3; i++) {
		jshim_close(&child[i]);
		if (orig_stdio != NULL) /* the manager's stdio is the runtime's now, not ours */
			jshim_close(&orig_stdio[i]);
	}
	if (cfg->start_fd >= 0 && cfg->exec_attach)
		close(cfg->start_fd); /* the runtime child waits for the second byte on its copy */
	if (r < 0) {
		char why[256];
		snprintf(why, sizeof why, "starting the runtime %s: %s", cfg->runtime, strerror(-r));
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	struct jshim_p1_poll p1 = { 2 + JSHIM_TTY_NPOLL, p1_fill, p1_ready, m };
	r = jshim_runtime_wait(m->sfd, &rt, &p1);
	if (r < 0)
		return r;
	m->inflight_signal = rt.p1.inflight_signal;
	bool runtime_ok = WIFEXITED(rt.p1.runtime_status) && WEXITSTATUS(rt.p1.runtime_status) == 0;
	int pr = jshim_read_pidfile(cfg->container_pidfile, &m->container_pid);
	if (!conmon(m) && pr == 0)
		shimmy_container_died(m, &rt.p1);
	if (!runtime_ok || rt.p1.container_died) {
		char status[256];
		struct jshim_buf err = { 0 };
		jshim_status_sentence(status, sizeof status, &rt.p1);
		jshim_read_stderr(m->fds.fd[JSHIM_FD_STDERR], &err);
		jshim_report_runtime_failure(m, status, err.data, err.len);
		jshim_buf_free(&err);
		return 1;
	}
	char twhy[128];
	if (jshim_tty_check_created(m, twhy, sizeof twhy) < 0) {
		jshim_report_launcher_failure(m, twhy);
		return 1;
	}
	if (pr < 0) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof why, "read the %s pid file %s: %s", conmon(m) ? "container" : "--container-pidfile",
			 cfg->container_pidfile, strerror(-pr));
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	log_info("container created, pid %d", (int)m->container_pid);
	return 0;
}

static void kill_and_reap(struct jshim_mon *m)
{
	int st;
	if (kill(m->container_pid, SIGKILL) < 0)
		log_error("kill %d SIGKILL: %s", (int)m->container_pid, strerror(errno));
	while (waitpid(m->container_pid, &st, 0) < 0 && errno == EINTR)
		;
	m->reaped = true;
}

/* After create: shimmy opens its files only now (a failed runtime must create none). */
static int after_create(struct jshim_mon *m)
{
	char why[PATH_MAX + 128];
	if (conmon(m)) {
		jshim_oom_watch(&m->oom, m->container_pid); /* logs its own failure */
		if (m->cfg->timeout_s > 0)
			m->timeout_at = jshim_now_ms() + (int64_t)m->cfg->timeout_s * 1000;
		return 0;
	}
	if (jshim_fds_open(m->cfg, &m->fds, why, sizeof why) == 0)
		return 0;
	kill_and_reap(m);
	jshim_report_launcher_failure(m, why);
	return 1;
}

static int finish(struct jshim_mon *m, int code)
{
	jshim_link_close(&m->link);
	jshim_fds_finish(m->cfg, &m->fds);
	jshim_container_fds_close(&m->fds);
	jshim_tty_close(m);
	if (m->ctl_open)
		jshim_ctl_close(&m->ctl);
	jshim_oom_close(&m->oom);
	jshim_sdnotify_close(&m->notify);
	jshim_close(&m->sfd);
	jshim_close(&m->sync_fd);
	if (conmon(m) && m->cfg->exit_command != NULL) {
		int r = jshim_exit_command_run(m->cfg);
		log_debug("exit command %s returned %d", m->cfg->exit_command, r);
	}
	return code;
}

/* Set-up, create and its report, in a frame of its own: its buffers (paths, messages) are
 * popped before the serve loop, so jshim_setup_memory_release can give their pages back.
 * Returns -1 to go on serving, else the exit code. */
static __attribute__((noinline)) int monitor_setup(struct jshim_mon *m, int *orig_stdio)
{
	const struct jshim_config *cfg = m->cfg;
	sigset_t oldmask;
	char dir[PATH_MAX], why[PATH_MAX + 128];
	if (jshim_dirname(cfg->daemon_socket, dir, sizeof dir) < 0)
		snprintf(dir, sizeof dir, "/tmp");
	jshim_log_init(cfg->log_level, cfg->container_id, dir);
	log_debug("monitor started for bundle %s", cfg->bundle);
	int fail_code = conmon(m) ? 1 : 0; /* shimmy exits 0 after a reported failure */

	int r = setup_process(m, &oldmask);
	if (r == 0)
		r = jshim_memfds_create(&m->fds);
	if (r < 0) {
		snprintf(why, sizeof why, "launcher set-up failed: %s", strerror(-r));
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	if (jshim_sockdir_check(cfg->daemon_socket, why, sizeof why) < 0) { /* before anything is created */
		log_error("%s", why);
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	if (conmon(m) && conmon_prepare(m, why, sizeof why) < 0) {
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	/* Connect (starting jshimd if needed) now, so the JVM start overlaps runtime create. A
	 * connection made now is not kept: the daemon closes one that sends no HELLO in time, and
	 * HELLO waits for the create; the serve loop connects again. */
	jshim_link_init(&m->link, cfg);
	if (jshim_link_try(&m->link) == 0)
		jshim_close(&m->link.fd);

	r = create(m, &oldmask, orig_stdio);
	if (r == 0)
		r = after_create(m);
	if (r != 0)
		return r > 0 ? fail_code : 1;
	m->state = JSHIM_ST_HANDING_OVER;
	m->handover_deadline = jshim_now_ms() + cfg->daemon_timeout_ms;
	return -1;
}

int jshim_monitor_run(const struct jshim_config *cfg, int *orig_stdio)
{
	struct jshim_mon m;
	memset(&m, 0, sizeof m);
	m.cfg = cfg;
	m.sfd = -1;
	m.sync_fd = cfg->sync_fd;
	m.oom.fd = -1;
	m.notify.fd = -1;
	m.state = JSHIM_ST_CREATING;
	jshim_container_fds_init(&m.fds);
	int r = monitor_setup(&m, orig_stdio);
	if (r < 0)
		r = jshim_serve(&m);
	return finish(&m, r);
}
