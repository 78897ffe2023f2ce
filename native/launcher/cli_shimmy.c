/* cli_shimmy.c: shimmy's command line (clap 2 style, "--flag V" and "--flag=V"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon_path.h"
#include "jshim_protocol.h"
#include "util.h"

#ifndef JSHIM_INSTALLED_JSHIMD
#define JSHIM_INSTALLED_JSHIMD "/usr/sbin/jshimd"
#endif

enum opt_id {
	O_SHIM_PIDFILE,
	O_LOG_LEVEL,
	O_SYNCPIPE,
	O_RUNTIME,
	O_RUNTIME_ARG,
	O_BUNDLE,
	O_ID,
	O_CPIDFILE,
	O_LOGFILE,
	O_EXITFILE,
	O_ATTACH,
	O_STDIN,
	O_STDIN_ONCE,
	O_SOCKET,
	O_JSHIMD,
	O_HELP,
	O_VERSION,
	O_COUNT
};

static const struct opt {
	const char *name;
	enum opt_id id;
	int has_arg;
} opts[] = {
	{ "shimmy-pidfile", O_SHIM_PIDFILE, 1 },
	{ "shimmy-log-level", O_LOG_LEVEL, 1 },
	{ "syncpipe-fd", O_SYNCPIPE, 1 },
	{ "runtime", O_RUNTIME, 1 },
	{ "runtime-arg", O_RUNTIME_ARG, 1 },
	{ "bundle", O_BUNDLE, 1 },
	{ "container-id", O_ID, 1 },
	{ "container-pidfile", O_CPIDFILE, 1 },
	{ "container-logfile", O_LOGFILE, 1 },
	{ "container-exitfile", O_EXITFILE, 1 },
	{ "container-attachfile", O_ATTACH, 1 },
	{ "stdin", O_STDIN, 0 },
	{ "stdin-once", O_STDIN_ONCE, 0 },
	{ "jshimd-socket", O_SOCKET, 1 },
	{ "jshimd", O_JSHIMD, 1 },
	{ "help", O_HELP, 0 },
	{ "version", O_VERSION, 0 },
};

void jshim_cli_shimmy_usage(FILE *out)
{
	fputs("Usage: jshim --shimmy-pidfile PATH --runtime PATH [--runtime-arg ARG]... --bundle DIR\n"
	      "             --container-id ID --container-pidfile PATH --container-logfile PATH\n"
	      "             --container-exitfile PATH --container-attachfile PATH\n"
	      "             [--syncpipe-fd N] [--shimmy-log-level LEVEL] [--stdin] [--stdin-once]\n"
	      "             [--jshimd-socket PATH] [--jshimd PATH]\n"
	      "Runs `RUNTIME [ARG...] create --bundle DIR --pid-file PATH ID`, reports the container's\n"
	      "pid on the sync pipe and stays as its parent; jshimd serves its log, attach socket and\n"
	      "exit file. Options (--flag VALUE or --flag=VALUE):\n"
	      "  --shimmy-pidfile PATH        write this monitor's pid here (digits, no newline)\n"
	      "  --runtime PATH               the OCI runtime, e.g. /usr/sbin/runc (no PATH search)\n"
	      "  --runtime-arg ARG            global runtime option before `create`; repeatable;\n"
	      "                               leading and trailing ' are stripped\n"
	      "  --bundle DIR                 the OCI bundle\n"
	      "  --container-id ID            the runtime's container id\n"
	      "  --container-pidfile PATH     where the runtime writes the container's pid\n"
	      "  --container-logfile PATH     the log: \"<rfc3339> stdout|stderr <text>\" lines\n"
	      "  --container-exitfile PATH    JSON exit status, written once after the exit\n"
	      "  --container-attachfile PATH  the attach socket (at most 107 bytes)\n"
	      "  --stdin                      give the container a stdin fed by attach clients\n"
	      "  --stdin-once                 close stdin when the first attach session ends\n"
	      "  --syncpipe-fd N              the sync pipe's fd (default: $_OCI_SYNCPIPE)\n"
	      "  --shimmy-log-level LEVEL     off|error|warn|warning|info|debug|trace|panic|fatal\n"
	      "                               (default info), for <socket dir>/launcher.log\n"
	      "  --jshimd-socket PATH         jshimd's socket (default: $JSHIM_SOCKET, else\n"
	      "                               " JSHIM_DEFAULT_SOCKET ")\n"
	      "  --jshimd PATH                program that starts jshimd when none answers\n"
	      "                               (default: $JSHIMD, else the jshimd of this jshim's\n"
	      "                               build tree or install, else " JSHIM_INSTALLED_JSHIMD ")\n"
	      "  -h, --help                   this text;  -V, --version  the version\n"
	      "Environment: _OCI_SYNCPIPE, JSHIM_SOCKET, JSHIMD as above;\n"
	      "  JSHIM_DAEMON_TIMEOUT  seconds to wait for jshimd while handing a new container over\n"
	      "                        (default 8); then the container is killed and the failure reported\n"
	      "  JSHIM_FALLBACK_SECONDS  seconds after the container's exit without jshimd before jshim\n"
	      "                        writes the exit file itself (default 10)\n",
	      out);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct opt *find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Strips every leading and trailing single quote (shimmy's --runtime-arg quirk). */
static char *strip_quotes(const char *v)
{
	size_t len = strlen(v);
	while (len > 0 && *v == '\'') {
		v++;
		len--;
	}
	while (len > 0 && v[len - 1] == '\'')
		len--;
	return strndup(v, len);
}

static const char **string_slot(struct jshim_config *cfg, enum opt_id id)
{
	switch (id) {
	case O_SHIM_PIDFILE: return &cfg->shim_pidfile;
	case O_RUNTIME: return &cfg->runtime;
	case O_BUNDLE: return &cfg->bundle;
	case O_ID: return &cfg->container_id;
	case O_CPIDFILE: return &cfg->container_pidfile;
	case O_LOGFILE: return &cfg->log_path;
	case O_EXITFILE: return &cfg->exit_path;
	case O_ATTACH: return &cfg->attach_path;
	case O_SOCKET: return &cfg->daemon_socket;
	case O_JSHIMD: return &cfg->jshimd;
	default: return NULL;
	}
}

static int apply(struct jshim_config *cfg, const struct opt *o, const char *val, int *sync_from_flag,
		 char *err, size_t errlen)
{
	const char **slot = string_slot(cfg, o->id);
	if (slot != NULL) {
		*slot = val;
		return 0;
	}
	switch (o->id) {
	case O_RUNTIME_ARG: {
		char *s = strip_quotes(val);
		if (s == NULL)
			return fail(err, errlen, "--runtime-arg: out of memory");
		cfg->runtime_args[cfg->n_runtime_args++] = s;
		return 0;
	}
	case O_LOG_LEVEL:
		if (jshim_parse_log_level(val, &cfg->log_level) < 0)
			return fail(err, errlen, "--shimmy-log-level '%s': unknown level (off, error, warn, "
				    "info, debug, trace)", val);
		return 0;
	case O_SYNCPIPE:
		if (jshim_parse_int(val, &cfg->sync_fd) < 0)
			return fail(err, errlen, "--syncpipe-fd '%s': not a file descriptor number", val);
		*sync_from_flag = 1;
		return 0;
	case O_STDIN: cfg->stdin_open = true; return 0;
	case O_STDIN_ONCE: cfg->stdin_once = true; return 0;
	default: return 0;
	}
}

static int check_required(struct jshim_config *cfg, int sync_from_flag, char *err, size_t errlen)
{
	static const enum opt_id required[] = { O_SHIM_PIDFILE, O_RUNTIME, O_BUNDLE, O_ID, O_CPIDFILE,
						O_LOGFILE, O_EXITFILE, O_ATTACH };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (*string_slot(cfg, required[i]) == NULL)
			return fail(err, errlen, "the required flag --%s was not given",
				    opts[required[i]].name);
	}
	if (!sync_from_flag) {
		const char *env = getenv("_OCI_SYNCPIPE");
		if (env == NULL)
			return fail(err, errlen, "the required flag --syncpipe-fd was not given "
				    "(and _OCI_SYNCPIPE is not set)");
		if (jshim_parse_int(env, &cfg->sync_fd) < 0)
			return fail(err, errlen, "_OCI_SYNCPIPE='%s': not a file descriptor number "
				    "(use --syncpipe-fd)", env);
	}
	if (cfg->container_id[0] == '\0')
		return fail(err, errlen, "--container-id: must not be empty");
	if (cfg->daemon_socket == NULL) {
		const char *env = getenv(JSHIM_SOCKET_ENV);
		cfg->daemon_socket = env && *env ? env : JSHIM_DEFAULT_SOCKET;
	}
	if (cfg->jshimd == NULL) {
		const char *env = getenv("JSHIMD");
		cfg->jshimd = env && *env ? env : jshim_default_jshimd();
	}
	return 0;
}

int jshim_cli_shimmy_parse(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	int seen[O_COUNT] = { 0 };
	int sync_from_flag = 0;

	cfg->runtime_args = calloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
	if (cfg->runtime_args == NULL)
		return fail(err, errlen, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct opt *o;
		const char *val = NULL;
		if (strcmp(arg, "-h") == 0)
			return JSHIM_CLI_HELP;
		if (strcmp(arg, "-V") == 0)
			return JSHIM_CLI_VERSION;
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return fail(err, errlen, "unexpected argument '%s'", arg);
		const char *eq = strchr(arg + 2, '=');
		size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		o = find_opt(arg + 2, nlen);
		if (o == NULL)
			return fail(err, errlen, "unknown flag '%.*s'", (int)(nlen + 2), arg);
		if (o->id == O_HELP)
			return JSHIM_CLI_HELP;
		if (o->id == O_VERSION)
			return JSHIM_CLI_VERSION;
		if (o->has_arg) {
			if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
				val = argv[++i];
			} else {
				return fail(err, errlen, "the flag --%s needs a value", o->name);
			}
		} else if (eq) {
			return fail(err, errlen, "the flag --%s takes no value", o->name);
		}
		if (seen[o->id]++ && o->id != O_RUNTIME_ARG)
			return fail(err, errlen, "the flag --%s was given more than once", o->name);
		int r = apply(cfg, o, val, &sync_from_flag, err, errlen);
		if (r < 0)
			return r;
	}
	return check_required(cfg, sync_from_flag, err, errlen);
}
