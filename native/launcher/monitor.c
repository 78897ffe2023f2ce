/* monitor.c: set-up, runtime create (phase 1) and its report on failure. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jshim_protocol.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "runtime.h"
#include "util.h"

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
	if (fcntl(m->sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;
		log_error("fcntl FD_CLOEXEC sync fd %d: %s", m->sync_fd, strerror(e));
		return -e;
	}
	return 0;
}

static void report_failure(struct jshim_mon *m, const char *status, const char *err, size_t len)
{
	struct jshim_buf b = { 0 };
	jshim_report_failure(&b, status, err, len);
	log_warn("create failed: %s", status);
	jshim_report_send(&m->sync_fd, &b);
	jshim_buf_free(&b);
}

void jshim_report_launcher_failure(struct jshim_mon *m, const char *why)
{
	char err[1024];
	snprintf(err, sizeof err, "jshim: %s", why);
	report_failure(m, "Runtime Exited with code 0.", err, strlen(err));
}

/* Phase 1. 0 when the container was created and its pid read; 1 when a failure was
 * reported; -errno when nothing could be reported. */
static int create(struct jshim_mon *m, const sigset_t *oldmask)
{
	int child[3];
	struct jshim_runtime rt = { 0 };
	int r = jshim_runtime_pipes(m->cfg, &m->fds, child);
	if (r == 0)
		r = jshim_runtime_spawn(m->cfg, oldmask, child, &rt.pid);
	for (int i = 0; i < 3; i++)
		jshim_close(&child[i]);
	if (r < 0) {
		char why[256];
		snprintf(why, sizeof why, "starting the runtime %s: %s", m->cfg->runtime, strerror(-r));
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	r = jshim_runtime_wait(m->sfd, &rt);
	if (r < 0)
		return r;
	m->inflight_signal = rt.p1.inflight_signal;
	if (!WIFEXITED(rt.p1.runtime_status) || WEXITSTATUS(rt.p1.runtime_status) != 0 ||
	    rt.p1.container_died) {
		char status[256];
		struct jshim_buf err = { 0 };
		jshim_status_sentence(status, sizeof status, &rt.p1);
		jshim_read_stderr(m->fds.fd[JSHIM_FD_STDERR], &err);
		report_failure(m, status, err.data, err.len);
		jshim_buf_free(&err);
		return 1;
	}
	r = jshim_read_pidfile(m->cfg->container_pidfile, &m->container_pid);
	if (r < 0) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof why, "read --container-pidfile %s: %s", m->cfg->container_pidfile,
			 strerror(-r));
		jshim_report_launcher_failure(m, why);
		return 1;
	}
	log_info("container created, pid %d", (int)m->container_pid);
	return 0;
}

int jshim_monitor_run(const struct jshim_config *cfg)
{
	struct jshim_mon m;
	sigset_t oldmask;
	char dir[PATH_MAX];
	memset(&m, 0, sizeof m);
	m.cfg = cfg;
	m.sfd = -1;
	m.sync_fd = cfg->sync_fd;
	m.state = JSHIM_ST_CREATING;
	jshim_container_fds_init(&m.fds);
	if (jshim_dirname(cfg->daemon_socket, dir, sizeof dir) < 0)
		snprintf(dir, sizeof dir, "/tmp");
	jshim_log_init(cfg->log_level, cfg->container_id, dir);
	log_debug("monitor started for bundle %s", cfg->bundle);

	int r = setup_process(&m, &oldmask);
	if (r == 0)
		r = jshim_memfds_create(&m.fds);
	if (r < 0) {
		char why[128];
		snprintf(why, sizeof why, "launcher set-up failed: %s", strerror(-r));
		jshim_report_launcher_failure(&m, why);
		return 1;
	}
	/* Connect (starting jshimd if needed) now, so the JVM start overlaps runtime create. */
	jshim_link_init(&m.link, cfg);
	jshim_link_try(&m.link);

	r = create(&m, &oldmask);
	if (r != 0) {
		jshim_link_close(&m.link);
		jshim_container_fds_close(&m.fds);
		jshim_close(&m.sfd);
		jshim_close(&m.sync_fd);
		return r > 0 ? 0 : 1;
	}
	m.state = JSHIM_ST_HANDING_OVER;
	m.handover_deadline = jshim_now_ms() + cfg->daemon_timeout_ms;
	r = jshim_serve(&m);
	jshim_link_close(&m.link);
	jshim_container_fds_close(&m.fds);
	jshim_close(&m.sfd);
	jshim_close(&m.sync_fd);
	return r;
}
