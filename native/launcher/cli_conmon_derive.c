/* cli_conmon_derive.c: conmon's -l drivers, $_OCI_*PIPE fds, derived paths, validation, usage. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "cli_conmon.h"
#include "daemon_path.h"
#include "jshim_protocol.h"
#include "util.h"

#define CONMON_SOCKET_DIR "/var/run/crio" /* conmon's default --socket-dir-path */
#define CONMON_TRUNC_ID_LEN 12            /* journald needs a longer --cid */

int jshim_conmon_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool any_stdio_tty(void)
{
	return isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO);
}

static char k8s_path_buf[PATH_MAX]; /* the k8s-file path: conmon's strtok cuts it at a ':' */

/* One -l value, split as conmon does (strtok on ':'): driver = the first non-empty piece, path =
 * the second. "k8s-file:PATH"; a bare PATH without ':'; ":PATH" (so ":none" is a file named
 * none); "journald[:...]"; "none", "off", "null" (no-ops: they never cancel another driver);
 * "passthrough". */
static int one_driver(struct jshim_config *cfg, const char *v, char *err, size_t errlen)
{
	const char *d = v + strspn(v, ":");
	size_t dlen = strcspn(d, ":");
	const char *p = d + dlen + strspn(d + dlen, ":");
	size_t plen = strcspn(p, ":");
	if (dlen == 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e]: log-path must not be empty");
	if (plen == 0 && v[0] == ':') { /* ":PATH" */
		p = d;
		plen = dlen;
		d = "k8s-file";
		dlen = strlen(d);
	}
#define IS(name) (dlen == strlen(name) && strncmp(d, name, dlen) == 0)
	if (IS("off") || IS("null") || IS("none"))
		return 0;
	if (IS("passthrough")) {
		if (any_stdio_tty())
			return jshim_conmon_fail(err, errlen, "[conmon:e]: cannot use a tty with passthrough "
						 "logging mode to prevent attacks via TIOCSTI");
		cfg->log_drivers |= JSHIM_LOGDRV_PASSTHROUGH;
		return 0;
	}
	if (IS("journald")) {
		cfg->log_drivers |= JSHIM_LOGDRV_JOURNALD;
		return 0;
	}
	if (!IS("k8s-file")) {
		if (plen != 0 || strchr(v, ':') != NULL)
			return jshim_conmon_fail(err, errlen, "[conmon:e]: No such log driver %.*s", (int)dlen, d);
		p = d; /* a bare path */
		plen = dlen;
	}
#undef IS
	if (plen == 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e]: k8s-file requires a filename");
	if (plen >= sizeof k8s_path_buf)
		return jshim_conmon_fail(err, errlen, "[conmon:e]: Failed to open log file %s",
					 strerror(ENAMETOOLONG));
	memcpy(k8s_path_buf, p, plen);
	k8s_path_buf[plen] = '\0';
	cfg->log_drivers |= JSHIM_LOGDRV_FILE;
	cfg->log_path = k8s_path_buf;
	return 0;
}

int jshim_conmon_log_drivers(struct jshim_config *cfg, const char **logs, size_t n_logs, char *err,
			     size_t errlen)
{
	cfg->log_drivers = 0;
	cfg->log_path = NULL;
	cfg->log_format = JSHIM_LOG_K8S_FILE;
	if (n_logs == 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Log driver not provided. Use --log-path");
	for (size_t i = 0; i < n_logs; i++) {
		int r = one_driver(cfg, logs[i], err, errlen);
		if (r < 0)
			return r;
	}
	if ((cfg->log_drivers & JSHIM_LOGDRV_FILE) && !(cfg->log_drivers & JSHIM_LOGDRV_JOURNALD) &&
	    cfg->log_tag != NULL)
		return jshim_conmon_fail(err, errlen, "[conmon:e] k8s-file doesn't support --log-tag");
	if ((cfg->log_drivers & JSHIM_LOGDRV_JOURNALD) && strlen(cfg->container_id) <= CONMON_TRUNC_ID_LEN)
		return jshim_conmon_fail(err, errlen, "[conmon:e] Container ID must be longer than 12 characters");
	return 0;
}

/* $name as a file descriptor number: unset -> -1; anything but plain decimal is an error. */
static int pipe_from_env(const char *name, int *fd, char *err, size_t errlen)
{
	const char *v = getenv(name);
	*fd = -1;
	if (v == NULL)
		return 0;
	if (jshim_parse_int(v, fd) < 0)
		return jshim_conmon_fail(err, errlen, "[conmon:e]: unable to parse %s %s", name, strerror(EINVAL));
	return 0;
}

/* N of "--runtime-opt --preserve-fds --runtime-opt N" or "--runtime-opt --preserve-fds=N". */
static int preserve_fds(struct jshim_config *cfg, char *err, size_t errlen)
{
	static const char flag[] = "--preserve-fds";
	for (size_t i = 0; i < cfg->n_runtime_opts; i++) {
		const char *o = cfg->runtime_opts[i], *v = NULL;
		if (strcmp(o, flag) == 0 && i + 1 < cfg->n_runtime_opts)
			v = cfg->runtime_opts[++i];
		else if (strncmp(o, flag, sizeof flag - 1) == 0 && o[sizeof flag - 1] == '=')
			v = o + sizeof flag;
		else
			continue;
		if (jshim_parse_int(v, &cfg->preserve_fds) < 0)
			return jshim_conmon_fail(err, errlen, "[conmon:e] --runtime-opt --preserve-fds %s: not a "
						 "number of file descriptors", v);
	}
	return 0;
}

static int path_into(char *buf, size_t len, const char **out, char *err, size_t errlen, const char *fmt,
		     const char *a, const char *b)
{
	int n = snprintf(buf, len, fmt, a, b);
	if (n < 0 || (size_t)n >= len)
		return jshim_conmon_fail(err, errlen, "[conmon:e] path too long: %s/%s", a, b);
	*out = buf;
	return 0;
}

static int derive_paths(struct jshim_config *cfg, char *err, size_t errlen)
{
	int r = 0;
	cfg->exit_path = NULL;
	if (cfg->exit_dir != NULL)
		r = path_into(cfg->exit_path_buf, sizeof cfg->exit_path_buf, &cfg->exit_path, err, errlen,
			      "%s/%s", cfg->exit_dir, cfg->container_id);
	if (r < 0)
		return r;
	if (cfg->socket_dir_path == NULL)
		cfg->socket_dir_path = CONMON_SOCKET_DIR;
	cfg->attach_path = NULL;
	cfg->attach_format = 0;
	/* conmon: no attach socket, ctl or winsz without a bundle (legacy exec) or with passthrough */
	if (cfg->bundle == NULL || (cfg->log_drivers & JSHIM_LOGDRV_PASSTHROUGH))
		return 0;
	cfg->attach_format = JSHIM_ATTACH_CONMON;
	if (cfg->cuuid == NULL)
		cfg->cuuid = cfg->container_id; /* legacy exec with -b: conmon has no name for the link */
	if (cfg->full_attach)
		return path_into(cfg->attach_path_buf, sizeof cfg->attach_path_buf, &cfg->attach_path, err,
				 errlen, "%s/%s", cfg->bundle, "attach");
	return path_into(cfg->attach_path_buf, sizeof cfg->attach_path_buf, &cfg->attach_path, err, errlen,
			 "%s/%s/attach", cfg->socket_dir_path, cfg->cuuid);
}

int jshim_conmon_derive(struct jshim_config *cfg, char *err, size_t errlen)
{
	cfg->exit_format = JSHIM_EXIT_CONMON_CODE;
	cfg->stdin_once = cfg->stdin_open && !cfg->leave_stdin_open;
	int r = derive_paths(cfg, err, errlen);
	if (r == 0)
		r = preserve_fds(cfg, err, errlen);
	if (r == 0)
		r = pipe_from_env("_OCI_STARTPIPE", &cfg->start_fd, err, errlen);
	if (r == 0)
		r = pipe_from_env("_OCI_SYNCPIPE", &cfg->sync_fd, err, errlen);
	if (r == 0 && cfg->exec_attach) {
		r = pipe_from_env("_OCI_ATTACHPIPE", &cfg->attach_pipe_fd, err, errlen);
		if (r == 0 && cfg->attach_pipe_fd < 0)
			r = jshim_conmon_fail(err, errlen, "[conmon:e]: --attach specified but _OCI_ATTACHPIPE "
					      "was not %s", strerror(EINVAL));
	}
	if (r < 0)
		return r;
	if (cfg->start_fd == 0)
		cfg->start_fd = -1; /* conmon reads the start pipe only when its fd is > 0 */
	const char *env = getenv(JSHIM_SOCKET_ENV);
	cfg->daemon_socket = env && *env ? env : JSHIM_DEFAULT_SOCKET;
	env = getenv("JSHIMD"); /* as the shimmy dialect does */
	cfg->jshimd = env && *env ? env : jshim_default_jshimd();
	return 0;
}

int jshim_cli_conmon_validate(const struct jshim_config *cfg, char *err, size_t errlen)
{
	const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	const struct {
		const char *name;
		int fd;
	} pipes[] = { { "_OCI_STARTPIPE", cfg->start_fd },
		      { "_OCI_SYNCPIPE", cfg->sync_fd },
		      { "_OCI_ATTACHPIPE", cfg->attach_pipe_fd } };
	for (size_t i = 0; i < sizeof pipes / sizeof pipes[0]; i++) {
		if (pipes[i].fd >= 0 && fcntl(pipes[i].fd, F_GETFD) < 0)
			return jshim_conmon_fail(err, errlen, "[conmon:e]: unable to make %s CLOEXEC %s", pipes[i].name,
						 strerror(errno));
	}
	if (cfg->container_id[0] == '\0')
		return jshim_conmon_fail(err, errlen, "[conmon:e] Container ID must not be empty");
	if (strlen(cfg->daemon_socket) > sun_max)
		return jshim_conmon_fail(err, errlen, "[conmon:e] $" JSHIM_SOCKET_ENV " %s: longer than %zu bytes",
					 cfg->daemon_socket, sun_max);
	return 0;
}

void jshim_cli_conmon_usage(FILE *out)
{
	fputs("Usage: conmon [OPTION...] - conmon utility (jshim's conmon " JSHIM_CONMON_VERSION " dialect)\n"
	      "  --api-version                 sync pipe JSON key \"data\" (else \"pid\"/\"exit_code\")\n"
	      "  -b, --bundle DIR              OCI bundle (default: cwd, unless exec)\n"
	      "  -c, --cid ID                  container ID (required)\n"
	      "  -P, --conmon-pidfile PATH     write the monitor's pid here\n"
	      "  -p, --container-pidfile PATH  runtime --pid-file (default: <cwd>/pidfile-<cid>)\n"
	      "  -u, --cuuid ID                container UUID (attach symlink name)\n"
	      "  -e, --exec                    runtime exec instead of create\n"
	      "  --exec-attach                 exec attach handshake ($_OCI_ATTACHPIPE)\n"
	      "  --exec-process-spec PATH      process JSON for runtime exec\n"
	      "  --exit-command PATH           run after the exit file is written\n"
	      "  --exit-command-arg ARG        its arguments (repeatable)\n"
	      "  --exit-delay SECONDS          wait before the exit command\n"
	      "  --exit-dir DIR                write <DIR>/<cid> with the exit status\n"
	      "  --leave-stdin-open            keep stdin open when an attach client ends\n"
	      "  --log-level LEVEL             error|warn|info|debug|trace (default warn)\n"
	      "  -l, --log-path DRIVER:PATH    k8s-file:PATH, PATH, journald, none, passthrough (repeatable)\n"
	      "  --log-size-max BYTES          rotate the log past this size\n"
	      "  --log-global-size-max BYTES   stop logging past this many bytes\n"
	      "  --log-tag TAG                 journald tag\n"
	      "  -n, --name NAME               container name\n"
	      "  --no-new-keyring, --no-pivot  passed to runtime create\n"
	      "  --no-sync-log                 no fsync of the log\n"
	      "  -0, --persist-dir DIR         also write <DIR>/exit and <DIR>/oom\n"
	      "  --replace-listen-pid          always rewrite LISTEN_PID for the runtime\n"
	      "  --restore PATH                runtime restore from this checkpoint\n"
	      "  -r, --runtime PATH            OCI runtime (required)\n"
	      "  --runtime-arg ARG             global runtime argument (repeatable)\n"
	      "  --runtime-opt ARG             runtime subcommand argument (repeatable)\n"
	      "  --sdnotify-socket PATH        relay READY=1/WATCHDOG=1 there\n"
	      "  --socket-dir-path DIR         attach symlink dir (default " CONMON_SOCKET_DIR ")\n"
	      "  -i, --stdin                   give the container a stdin\n"
	      "  --sync                        do not fork: the caller waits for the whole life\n"
	      "  --syslog                      accepted\n"
	      "  -s, --systemd-cgroup          runtime create --systemd-cgroup\n"
	      "  -t, --terminal                allocate a pty through the console socket\n"
	      "  -T, --timeout SECONDS         kill the container after this long\n"
	      "  --full-attach                 attach socket at <bundle>/attach\n"
	      "  --seccomp-notify-socket PATH  refused, as by conmon 2.1.6 built with libseccomp\n"
	      "  --seccomp-notify-plugins P    accepted, unused\n"
	      "  --version                     print the version\n"
	      "  -h, --help                    this text\n"
	      "Environment: _OCI_SYNCPIPE, _OCI_STARTPIPE, _OCI_ATTACHPIPE; " JSHIM_SOCKET_ENV
	      " (default " JSHIM_DEFAULT_SOCKET "), JSHIMD\n",
	      out);
}
