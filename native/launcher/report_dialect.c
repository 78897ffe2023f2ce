/* report_dialect.c: the manager's messages on the sync fd, shimmy's JSON or conmon's records. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "monitor.h"
#include "report.h"
#include "sync_msg.h"
#include "util.h"

static bool conmon(const struct jshim_mon *m)
{
	return m->cfg->dialect == JSHIM_DIALECT_CONMON;
}

/* CRI-O's ExecSync (API 0 exec) reads one {"exit_code": N} record and nothing else. */
static bool exec_sync(const struct jshim_mon *m)
{
	return m->cfg->exec && m->cfg->api_version == 0;
}

/* One conmon record; closes the fd unless keep (exec keeps it for the exit status). */
static void conmon_send(struct jshim_mon *m, int64_t value, const char *msg, size_t len, bool keep)
{
	if (m->sync_fd < 0)
		return;
	const char *key = exec_sync(m) ? "exit_code" : jshim_sync_key(m->cfg->api_version);
	int r = jshim_sync_send(m->sync_fd, key, value, msg, len);
	if (r == -EPIPE)
		log_warn("sync fd %d: the manager is gone (EPIPE); serving anyway", m->sync_fd);
	else if (r == 0)
		log_debug("sync: {\"%s\": %lld%s}", key, (long long)value, msg ? ", message" : "");
	if (!keep)
		jshim_close(&m->sync_fd);
}

static void shimmy_failure(struct jshim_mon *m, const char *status, const char *err, size_t len)
{
	struct jshim_buf b = { 0 };
	jshim_report_failure(&b, status, err, len);
	log_warn("create failed: %s", status);
	jshim_report_send(&m->sync_fd, &b);
	jshim_buf_free(&b);
}

void jshim_report_created(struct jshim_mon *m)
{
	if (conmon(m)) {
		if (!exec_sync(m)) /* ExecSync: no pid first, the one record is the exit code */
			conmon_send(m, m->container_pid, NULL, 0, m->cfg->exec);
		return;
	}
	struct jshim_buf b = { 0 };
	jshim_report_pid(&b, m->container_pid);
	jshim_report_send(&m->sync_fd, &b);
	jshim_buf_free(&b);
}

void jshim_report_runtime_failure(struct jshim_mon *m, const char *status, const char *err, size_t len)
{
	if (!conmon(m)) {
		shimmy_failure(m, status, err, len);
		return;
	}
	log_warn("create failed: %s%s%.*s", status, len ? "; runtime stderr: " : "", (int)len, err ? err : "");
	if (err != NULL && len > 0) {
		conmon_send(m, -1, err, len, false);
		return;
	}
	char msg[512];
	snprintf(msg, sizeof msg, "jshim: %s %s failed: %s (it wrote nothing on stderr)", m->cfg->runtime,
		 m->cfg->exec ? "exec" : m->cfg->restore_path ? "restore" : "create", status);
	conmon_send(m, -1, msg, strlen(msg), false);
}

void jshim_report_launcher_failure(struct jshim_mon *m, const char *why)
{
	char err[1024];
	snprintf(err, sizeof err, "jshim: %s", why);
	if (conmon(m)) {
		log_warn("create failed: %s", err);
		conmon_send(m, -1, err, strlen(err), false);
		return;
	}
	/* Not a made-up runtime status: conman shows any status of a failed report as it is. */
	char status[1100];
	size_t n = strlen(why);
	snprintf(status, sizeof status, "Launcher Failed: %s%s", why, n > 0 && why[n - 1] == '.' ? "" : ".");
	shimmy_failure(m, status, err, strlen(err));
}

void jshim_report_exec_exit(struct jshim_mon *m)
{
	if (!conmon(m) || !m->cfg->exec || m->sync_fd < 0)
		return;
	int status = jshim_conmon_status(m->wait_status, m->timed_out);
	if (m->timed_out)
		conmon_send(m, -1, "command timed out", strlen("command timed out"), false);
	else
		conmon_send(m, status, NULL, 0, false);
}
