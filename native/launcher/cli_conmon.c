/* cli_conmon.c: conmon 2.1.6's command line (podman 4.3.1, CRI-O 1.28), its checks and defaults. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_conmon.h"
#include "cli_glib.h"

const struct jshim_glib_opt jshim_conmon_opts[] = {
	{ "api-version", 0, JSHIM_GLIB_NONE, C_API_VERSION },
	{ "bundle", 'b', JSHIM_GLIB_STRING, C_BUNDLE },
	{ "cid", 'c', JSHIM_GLIB_STRING, C_CID },
	{ "conmon-pidfile", 'P', JSHIM_GLIB_STRING, C_CONMON_PIDFILE },
	{ "container-pidfile", 'p', JSHIM_GLIB_STRING, C_CPIDFILE },
	{ "cuuid", 'u', JSHIM_GLIB_STRING, C_CUUID },
	{ "exec", 'e', JSHIM_GLIB_NONE, C_EXEC },
	{ "exec-attach", 0, JSHIM_GLIB_NONE, C_EXEC_ATTACH },
	{ "exec-process-spec", 0, JSHIM_GLIB_STRING, C_EXEC_SPEC },
	{ "exit-command", 0, JSHIM_GLIB_STRING, C_EXIT_COMMAND },
	{ "exit-command-arg", 0, JSHIM_GLIB_STRING, C_EXIT_COMMAND_ARG },
	{ "exit-delay", 0, JSHIM_GLIB_INT, C_EXIT_DELAY },
	{ "exit-dir", 0, JSHIM_GLIB_STRING, C_EXIT_DIR },
	{ "leave-stdin-open", 0, JSHIM_GLIB_NONE, C_LEAVE_STDIN_OPEN },
	{ "log-level", 0, JSHIM_GLIB_STRING, C_LOG_LEVEL },
	{ "log-path", 'l', JSHIM_GLIB_STRING, C_LOG_PATH },
	{ "log-size-max", 0, JSHIM_GLIB_INT64, C_LOG_SIZE_MAX },
	{ "log-global-size-max", 0, JSHIM_GLIB_INT64, C_LOG_GLOBAL_SIZE_MAX },
	{ "log-tag", 0, JSHIM_GLIB_STRING, C_LOG_TAG },
	{ "name", 'n', JSHIM_GLIB_STRING, C_NAME },
	{ "no-new-keyring", 0, JSHIM_GLIB_NONE, C_NO_NEW_KEYRING },
	{ "no-pivot", 0, JSHIM_GLIB_NONE, C_NO_PIVOT },
	{ "no-sync-log", 0, JSHIM_GLIB_NONE, C_NO_SYNC_LOG },
	{ "persist-dir", '0', JSHIM_GLIB_STRING, C_PERSIST_DIR },
	{ "pidfile", 0, JSHIM_GLIB_STRING, C_CPIDFILE }, /* hidden, deprecated */
	{ "replace-listen-pid", 0, JSHIM_GLIB_NONE, C_REPLACE_LISTEN_PID },
	{ "restore", 0, JSHIM_GLIB_STRING, C_RESTORE },
	{ "restore-arg", 0, JSHIM_GLIB_STRING, C_RUNTIME_OPT }, /* hidden, deprecated */
	{ "runtime", 'r', JSHIM_GLIB_STRING, C_RUNTIME },
	{ "runtime-arg", 0, JSHIM_GLIB_STRING, C_RUNTIME_ARG },
	{ "runtime-opt", 0, JSHIM_GLIB_STRING, C_RUNTIME_OPT },
	{ "sdnotify-socket", 0, JSHIM_GLIB_STRING, C_SDNOTIFY_SOCKET },
	{ "socket-dir-path", 0, JSHIM_GLIB_STRING, C_SOCKET_DIR },
	{ "stdin", 'i', JSHIM_GLIB_NONE, C_STDIN },
	{ "sync", 0, JSHIM_GLIB_NONE, C_SYNC },
	{ "syslog", 0, JSHIM_GLIB_NONE, C_SYSLOG },
	{ "systemd-cgroup", 's', JSHIM_GLIB_NONE, C_SYSTEMD_CGROUP },
	{ "terminal", 't', JSHIM_GLIB_NONE, C_TERMINAL },
	{ "timeout", 'T', JSHIM_GLIB_INT, C_TIMEOUT },
	{ "version", 0, JSHIM_GLIB_NONE, C_VERSION },
	{ "full-attach", 0, JSHIM_GLIB_NONE, C_FULL_ATTACH },
	{ "seccomp-notify-socket", 0, JSHIM_GLIB_STRING, C_SECCOMP_SOCKET },
	{ "seccomp-notify-plugins", 0, JSHIM_GLIB_STRING, C_SECCOMP_PLUGINS },
};
const size_t jshim_conmon_n_opts = sizeof jshim_conmon_opts / sizeof jshim_conmon_opts[0];

struct scan {
	struct jshim_config *cfg;
	const char **logs; /* the -l values, in order */
	size_t n_logs;
	const char *log_level;
	const char *seccomp_socket;
	bool version;
};

static char cwd_buf[PATH_MAX];
static char cpidfile_buf[PATH_MAX + NAME_MAX + 16];

static const char **string_slot(struct jshim_config *cfg, int id)
{
	switch (id) {
	case C_BUNDLE: return &cfg->bundle;
	case C_CID: return &cfg->container_id;
	case C_CONMON_PIDFILE: return &cfg->conmon_pidfile;
	case C_CPIDFILE: return &cfg->container_pidfile;
	case C_CUUID: return &cfg->cuuid;
	case C_EXEC_SPEC: return &cfg->exec_process_spec;
	case C_EXIT_COMMAND: return &cfg->exit_command;
	case C_EXIT_DIR: return &cfg->exit_dir;
	case C_LOG_TAG: return &cfg->log_tag;
	case C_NAME: return &cfg->name;
	case C_PERSIST_DIR: return &cfg->persist_dir;
	case C_RESTORE: return &cfg->restore_path;
	case C_RUNTIME: return &cfg->runtime;
	case C_SDNOTIFY_SOCKET: return &cfg->sdnotify_socket;
	case C_SOCKET_DIR: return &cfg->socket_dir_path;
	default: return NULL;
	}
}

static bool *flag_slot(struct jshim_config *cfg, int id)
{
	switch (id) {
	case C_EXEC: return &cfg->exec;
	case C_EXEC_ATTACH: return &cfg->exec_attach;
	case C_LEAVE_STDIN_OPEN: return &cfg->leave_stdin_open;
	case C_NO_NEW_KEYRING: return &cfg->no_new_keyring;
	case C_NO_PIVOT: return &cfg->no_pivot;
	case C_NO_SYNC_LOG: return &cfg->no_sync_log;
	case C_REPLACE_LISTEN_PID: return &cfg->replace_listen_pid;
	case C_STDIN: return &cfg->stdin_open;
	case C_SYNC: return &cfg->sync_mode;
	case C_SYSLOG: return &cfg->syslog;
	case C_SYSTEMD_CGROUP: return &cfg->systemd_cgroup;
	case C_TERMINAL: return &cfg->terminal;
	case C_FULL_ATTACH: return &cfg->full_attach;
	default: return NULL;
	}
}

/* One option occurrence (jshim_glib_apply). Strings stay argv's, except runtime_args' (owned). */
static int apply(void *ctx, const struct jshim_glib_opt *o, const char *val, int64_t num)
{
	struct scan *s = ctx;
	struct jshim_config *cfg = s->cfg;
	const char **str = string_slot(cfg, o->id);
	bool *flag = flag_slot(cfg, o->id);
	if (str != NULL) {
		*str = val; /* GLib: the last one wins */
		return 0;
	}
	if (flag != NULL) {
		*flag = true;
		return 0;
	}
	switch (o->id) {
	case C_API_VERSION: cfg->api_version = 1; return 0;
	case C_VERSION: s->version = true; return 0;
	case C_LOG_LEVEL: s->log_level = val; return 0;
	case C_LOG_PATH: s->logs[s->n_logs++] = val; return 0;
	case C_RUNTIME_OPT: cfg->runtime_opts[cfg->n_runtime_opts++] = (char *)val; return 0;
	case C_EXIT_COMMAND_ARG: cfg->exit_command_args[cfg->n_exit_command_args++] = (char *)val; return 0;
	case C_RUNTIME_ARG: {
		char *copy = strdup(val);
		if (copy == NULL)
			return -ENOMEM;
		cfg->runtime_args[cfg->n_runtime_args++] = copy;
		return 0;
	}
	case C_EXIT_DELAY: cfg->exit_delay_s = (int)num; return 0;
	case C_TIMEOUT: cfg->timeout_s = num > 0 ? (int)num : 0; return 0;
	case C_LOG_SIZE_MAX: cfg->log_size_max = num > 0 ? num : 0; return 0;
	case C_LOG_GLOBAL_SIZE_MAX: cfg->log_global_size_max = num > 0 ? num : 0; return 0;
	case C_SECCOMP_SOCKET: s->seccomp_socket = val; return 0;
	default: return 0; /* --seccomp-notify-plugins: accepted, unused */
	}
}

static int alloc_arrays(struct scan *s, int argc)
{
	size_t n = (size_t)(argc > 0 ? argc : 1);
	s->logs = calloc(n, sizeof(char *));
	s->cfg->runtime_args = calloc(n, sizeof(char *));
	s->cfg->runtime_opts = calloc(n, sizeof(char *));
	s->cfg->exit_command_args = calloc(n, sizeof(char *));
	if (!s->logs || !s->cfg->runtime_args || !s->cfg->runtime_opts || !s->cfg->exit_command_args)
		return -ENOMEM;
	return 0;
}

int jshim_cli_conmon_parse(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	struct scan s = { .cfg = cfg };
	char msg[512] = "";

	cfg->dialect = JSHIM_DIALECT_CONMON;
	int r = alloc_arrays(&s, argc);
	if (r == 0)
		r = jshim_glib_parse(jshim_conmon_opts, jshim_conmon_n_opts, argc, argv, apply, &s, msg,
				     sizeof msg);
	if (r == -ENOMEM) {
		jshim_conmon_fail(err, errlen, "[conmon:e] Failed to allocate memory");
	} else if (r == -EINVAL) {
		snprintf(err, errlen, "conmon: option parsing failed: %s", msg);
		r = JSHIM_CLI_ERR_STDOUT;
	} else if (r == JSHIM_GLIB_HELP) {
		r = JSHIM_CLI_HELP;
	} else if (s.version) {
		r = JSHIM_CLI_VERSION;
	} else if (cfg->container_id == NULL) {
		r = jshim_conmon_fail(err, errlen, "conmon: Container ID not provided. Use --cid");
	} else {
		r = jshim_conmon_check(cfg, s.log_level, s.logs, s.n_logs, s.seccomp_socket, err, errlen);
	}
	free(s.logs);
	return r;
}

/* The checks conmon's process_cli makes, in its order, then the defaults it derives. */
int jshim_conmon_check(struct jshim_config *cfg, const char *log_level, const char **logs, size_t n_logs,
		       const char *seccomp_socket, char *err, size_t errlen)
{
	struct stat st;
	cfg->log_level = JSHIM_LOG_WARN; /* conmon's default */
	if (log_level != NULL && (jshim_parse_log_level(log_level, &cfg->log_level) < 0 ||
				  cfg->log_level == JSHIM_LOG_OFF)) /* conmon has no "off" */
		return jshim_conmon_fail(err, errlen, "[conmon:e]: No such log level %s", log_level);
	if (cfg->restore_path && cfg->exec)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Cannot use 'exec' and 'restore' at the same time");
	if (!cfg->exec && cfg->exec_attach)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Attach can only be specified with exec");
	if (cfg->api_version < 1 && cfg->exec_attach)
		return jshim_conmon_fail(err, errlen,
					 "[conmon:e] Attach can only be specified for a non-legacy exec session");
	if (cfg->cuuid == NULL && (!cfg->exec || cfg->api_version >= 1)) /* legacy exec needs none */
		return jshim_conmon_fail(err, errlen, "[conmon:e] Container UUID not provided. Use --cuuid");
	if (cfg->runtime == NULL)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Runtime path not provided. Use --runtime");
	int e = access(cfg->runtime, X_OK) < 0 ? errno : 0;
	if (e == 0 && (stat(cfg->runtime, &st) < 0 || !S_ISREG(st.st_mode)))
		e = EACCES; /* a directory passes X_OK; conmon would fail later, at exec */
	if (e != 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e]: Runtime path %s is not valid %s", cfg->runtime,
					 strerror(e));
	if (cfg->exec && cfg->exec_process_spec == NULL)
		return jshim_conmon_fail(err, errlen,
					 "[conmon:e] Exec process spec path not provided. Use --exec-process-spec");
	if (getcwd(cwd_buf, sizeof cwd_buf) == NULL)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Failed to get working directory");
	if (cfg->bundle == NULL && !cfg->exec) /* legacy exec without -b: no attach socket */
		cfg->bundle = cwd_buf;
	if (cfg->exit_delay_s < 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Delay before invoking exit command must be "
					 "greater than or equal to 0");
	if (cfg->container_pidfile == NULL) {
		int n = snprintf(cpidfile_buf, sizeof cpidfile_buf, "%s/pidfile-%s", cwd_buf, cfg->container_id);
		if (n < 0 || (size_t)n >= sizeof cpidfile_buf)
			return jshim_conmon_fail(err, errlen, "[conmon:e] --cid %s: the pidfile path is too long",
						 cfg->container_id);
		cfg->container_pidfile = cpidfile_buf;
	}
	int r = jshim_conmon_log_drivers(cfg, logs, n_logs, err, errlen);
	if (r < 0)
		return r;
	if (seccomp_socket != NULL) /* Debian's 2.1.6 (built with libseccomp) fails the same way */
		return jshim_conmon_fail(err, errlen, "[conmon:e]: seccomp support not present %s",
					 strerror(EOPNOTSUPP));
	return jshim_conmon_derive(cfg, err, errlen);
}
