/* conmon_exit.c: ctl lines, --timeout, and what conmon does right after the reap. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hello.h"
#include "log.h"
#include "monitor.h"
#include "report.h"
#include "tty.h"
#include "util.h"

static void on_ctl_line(void *arg, int type, int a, int b)
{
	struct jshim_mon *m = arg;
	switch (type) {
	case 1:
		m->win_rows = a;
		m->win_cols = b;
		log_info("ctl: resize to %d rows x %d columns", a, b);
		jshim_tty_resize(m, a, b); /* TIOCSWINSZ now, or when the master arrives */
		break;
	case 2:
		log_info("ctl: reopen the log");
		m->reopen_due = true;
		jshim_conmon_send_reopen(m);
		break;
	default:
		log_warn("ctl: unknown message type %d (%d %d) ignored", type, a, b);
	}
}

void jshim_conmon_read_ctl(struct jshim_mon *m)
{
	if (!m->ctl_open)
		return;
	int r = jshim_ctl_read(&m->ctl, on_ctl_line, m);
	if (r < 0 && r != -EAGAIN)
		log_warn("read ctl: %s", strerror(-r));
}

void jshim_conmon_send_reopen(struct jshim_mon *m)
{
	if (!m->reopen_due || !m->ready || m->link.fd < 0)
		return;
	int r = jshim_reopen_log_send(m->link.fd);
	if (r < 0) {
		log_warn("send REOPEN_LOG: %s (sent again after the next READY)", strerror(-r));
		return;
	}
	m->reopen_due = false;
	m->reopen_sent = true;
	log_debug("REOPEN_LOG sent");
}

void jshim_conmon_timeout(struct jshim_mon *m)
{
	pid_t pid = m->container_pid;
	pid_t pgid = getpgid(pid);
	m->timeout_at = 0;
	if (m->reaped)
		return;
	m->timed_out = true;
	if (pgid > 1 && pgid != getpgid(0)) { /* never our own group */
		log_warn("--timeout %d s reached: SIGKILL to the process group %d", m->cfg->timeout_s, (int)pgid);
		if (kill(-pgid, SIGKILL) == 0)
			return;
		log_warn("kill -%d SIGKILL: %s", (int)pgid, strerror(errno));
	} else {
		log_warn("--timeout %d s reached: SIGKILL to %d", m->cfg->timeout_s, (int)pid);
	}
	if (kill(pid, SIGKILL) < 0)
		log_error("kill %d SIGKILL: %s", (int)pid, strerror(errno));
}

static void write_persist_exit(struct jshim_mon *m)
{
	char path[PATH_MAX], text[32];
	int n = snprintf(path, sizeof path, "%s/exit", m->cfg->persist_dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		log_error("--persist-dir %s: path too long", m->cfg->persist_dir);
		return;
	}
	n = snprintf(text, sizeof text, "%d", jshim_conmon_status(m->wait_status, m->timed_out));
	int r = jshim_write_file_atomic(path, text, (size_t)n, 0644);
	if (r < 0)
		log_error("write %s: %s", path, strerror(-r));
}

void jshim_conmon_on_reap(struct jshim_mon *m)
{
	if (m->cfg->dialect != JSHIM_DIALECT_CONMON)
		return;
	if (m->oom.fd >= 0 && jshim_oom_check(&m->oom)) {
		log_warn("the container was OOM-killed");
		jshim_oom_write_files(m->cfg->bundle, m->cfg->persist_dir);
	}
	jshim_oom_close(&m->oom);
	jshim_inherited_close();
	if (m->cfg->persist_dir != NULL)
		write_persist_exit(m);
}
