/* test_cli.c: the shimmy command-line parser. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "cli.h"
#include "jshim_protocol.h"

#define MAXARGS 64

struct run {
	struct jshim_config cfg;
	char err[512];
	int r;
};

/* Parses a NULL-terminated list after the program name. */
static void parse(struct run *t, const char *const *args)
{
	char *argv[MAXARGS];
	int argc = 0;
	argv[argc++] = "jshim";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	jshim_config_init(&t->cfg);
	t->err[0] = '\0';
	t->r = jshim_cli_shimmy_parse(&t->cfg, argc, argv, t->err, sizeof t->err);
}

#define BASE                                                                                   \
	"--shimmy-pidfile", "/b/shimmy.pid", "--runtime", "/usr/sbin/runc", "--bundle", "/b",   \
		"--container-id", "abc", "--container-pidfile", "/b/c.pid", "--container-logfile", \
		"/l/abc.log", "--container-exitfile", "/e/abc", "--container-attachfile", "/a/abc"

static void test_conman_argv(void)
{
	struct run t;
	unsetenv("_OCI_SYNCPIPE");
	unsetenv("JSHIM_SOCKET");
	unsetenv("JSHIMD");
	const char *args[] = { "--shimmy-pidfile", "/b/shimmy.pid", "--shimmy-log-level", "TRACE",
			       "--runtime", "/usr/sbin/runc", "--runtime-arg='--root=/var/run/conman-runc'",
			       "--bundle", "/b", "--container-id", "abc", "--container-pidfile=/b/c.pid",
			       "--container-logfile", "/l/abc.log", "--container-exitfile", "/e/abc",
			       "--container-attachfile", "/a/abc", "--stdin-once", "--syncpipe-fd", "3",
			       NULL };
	parse(&t, args);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK_STR(t.cfg.shim_pidfile, "/b/shimmy.pid");
	CHECK(t.cfg.log_level == JSHIM_LOG_TRACE);
	CHECK_STR(t.cfg.runtime, "/usr/sbin/runc");
	CHECK(t.cfg.n_runtime_args == 1);
	if (t.cfg.n_runtime_args == 1)
		CHECK_STR(t.cfg.runtime_args[0], "--root=/var/run/conman-runc");
	CHECK_STR(t.cfg.bundle, "/b");
	CHECK_STR(t.cfg.container_id, "abc");
	CHECK_STR(t.cfg.container_pidfile, "/b/c.pid");
	CHECK_STR(t.cfg.log_path, "/l/abc.log");
	CHECK_STR(t.cfg.exit_path, "/e/abc");
	CHECK_STR(t.cfg.attach_path, "/a/abc");
	CHECK(!t.cfg.stdin_open);
	CHECK(t.cfg.stdin_once);
	CHECK(t.cfg.sync_fd == 3);
	CHECK_STR(t.cfg.daemon_socket, JSHIM_DEFAULT_SOCKET);
	CHECK_STR(t.cfg.jshimd, JSHIM_INSTALLED_JSHIMD);
	CHECK(t.cfg.log_format == JSHIM_LOG_SHIMMY && t.cfg.exit_format == JSHIM_EXIT_SHIMMY_JSON);
	jshim_config_free(&t.cfg);
}

static void test_runtime_args_order_and_quotes(void)
{
	struct run t;
	const char *args[] = { BASE, "--syncpipe-fd=4", "--runtime-arg", "''--a=1'''",
			       "--runtime-arg='b'", "--runtime-arg", "foobar=123", "--runtime-arg=it's",
			       "--runtime-arg", "\"q\"", "--runtime-arg='''", NULL };
	parse(&t, args);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK(t.cfg.n_runtime_args == 6);
	if (t.cfg.n_runtime_args == 6) {
		CHECK_STR(t.cfg.runtime_args[0], "--a=1");
		CHECK_STR(t.cfg.runtime_args[1], "b");
		CHECK_STR(t.cfg.runtime_args[2], "foobar=123");
		CHECK_STR(t.cfg.runtime_args[3], "it's");
		CHECK_STR(t.cfg.runtime_args[4], "\"q\"");
		CHECK_STR(t.cfg.runtime_args[5], "");
	}
	CHECK(t.cfg.sync_fd == 4);
	jshim_config_free(&t.cfg);
}

static void test_syncpipe_precedence(void)
{
	struct run t;
	const char *with_flag[] = { BASE, "--syncpipe-fd", "5", NULL };
	const char *without[] = { BASE, NULL };
	setenv("_OCI_SYNCPIPE", "3", 1);
	parse(&t, with_flag);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.sync_fd == 5);
	jshim_config_free(&t.cfg);
	parse(&t, without);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.sync_fd == 3);
	jshim_config_free(&t.cfg);
	setenv("_OCI_SYNCPIPE", "x3", 1);
	parse(&t, without);
	CHECK(t.r == -EINVAL && strstr(t.err, "_OCI_SYNCPIPE") != NULL);
	jshim_config_free(&t.cfg);
	unsetenv("_OCI_SYNCPIPE");
	parse(&t, without);
	CHECK(t.r == -EINVAL && strstr(t.err, "--syncpipe-fd") != NULL);
	jshim_config_free(&t.cfg);
	const char *bad[] = { BASE, "--syncpipe-fd", "-1", NULL };
	parse(&t, bad);
	CHECK(t.r == -EINVAL && strstr(t.err, "--syncpipe-fd") != NULL);
	jshim_config_free(&t.cfg);
}

static void test_socket_and_jshimd_precedence(void)
{
	struct run t;
	const char *plain[] = { BASE, "--syncpipe-fd", "3", NULL };
	const char *flags[] = { BASE, "--syncpipe-fd", "3", "--jshimd-socket", "/x/s.sock", "--jshimd=/x/d",
				NULL };
	setenv("JSHIM_SOCKET", "/env/s.sock", 1);
	setenv("JSHIMD", "/env/jshimd", 1);
	parse(&t, plain);
	CHECK_STR(t.cfg.daemon_socket, "/env/s.sock");
	CHECK_STR(t.cfg.jshimd, "/env/jshimd");
	jshim_config_free(&t.cfg);
	parse(&t, flags);
	CHECK_STR(t.cfg.daemon_socket, "/x/s.sock");
	CHECK_STR(t.cfg.jshimd, "/x/d");
	jshim_config_free(&t.cfg);
	unsetenv("JSHIM_SOCKET");
	unsetenv("JSHIMD");
}

static void test_missing_required(void)
{
	static const char *const names[] = { "--shimmy-pidfile", "--runtime", "--bundle", "--container-id",
					     "--container-pidfile", "--container-logfile",
					     "--container-exitfile", "--container-attachfile" };
	const char *full[] = { BASE, "--syncpipe-fd", "3", NULL };
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		const char *args[MAXARGS];
		size_t n = 0;
		for (size_t i = 0; full[i]; i++) {
			if (strcmp(full[i], names[k]) == 0) {
				i++; /* skip its value too */
				continue;
			}
			args[n++] = full[i];
		}
		args[n] = NULL;
		struct run t;
		parse(&t, args);
		CHECK(t.r == -EINVAL);
		if (strstr(t.err, names[k]) == NULL) {
			fprintf(stderr, "missing %s: message '%s'\n", names[k], t.err);
			check_failures++;
		}
		jshim_config_free(&t.cfg);
	}
	struct run t;
	const char *empty_id[] = { BASE, "--syncpipe-fd", "3", "--container-id=", NULL };
	parse(&t, empty_id); /* given twice: an error either way */
	CHECK(t.r == -EINVAL);
	jshim_config_free(&t.cfg);
}

static void test_log_levels(void)
{
	static const struct {
		const char *name;
		enum jshim_log_level want;
	} cases[] = { { "off", JSHIM_LOG_OFF },     { "ERROR", JSHIM_LOG_ERROR }, { "Warn", JSHIM_LOG_WARN },
		      { "WARNING", JSHIM_LOG_WARN }, { "info", JSHIM_LOG_INFO },   { "DEBUG", JSHIM_LOG_DEBUG },
		      { "trace", JSHIM_LOG_TRACE }, { "PANIC", JSHIM_LOG_ERROR }, { "fatal", JSHIM_LOG_ERROR } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run t;
		const char *args[] = { BASE, "--syncpipe-fd", "3", "--shimmy-log-level", cases[i].name, NULL };
		parse(&t, args);
		CHECK(t.r == JSHIM_CLI_OK && t.cfg.log_level == cases[i].want);
		jshim_config_free(&t.cfg);
	}
	struct run t;
	const char *bad[] = { BASE, "--syncpipe-fd", "3", "--shimmy-log-level=verbose", NULL };
	parse(&t, bad);
	CHECK(t.r == -EINVAL && strstr(t.err, "--shimmy-log-level") != NULL);
	jshim_config_free(&t.cfg);
	const char *dflt[] = { BASE, "--syncpipe-fd", "3", NULL };
	parse(&t, dflt);
	CHECK(t.cfg.log_level == JSHIM_LOG_INFO);
	jshim_config_free(&t.cfg);
}

static void test_errors_and_booleans(void)
{
	struct run t;
	const char *unknown[] = { BASE, "--syncpipe-fd", "3", "--frobnicate", "1", NULL };
	parse(&t, unknown);
	CHECK(t.r == -EINVAL && strstr(t.err, "--frobnicate") != NULL);
	jshim_config_free(&t.cfg);
	const char *positional[] = { BASE, "--syncpipe-fd", "3", "extra", NULL };
	parse(&t, positional);
	CHECK(t.r == -EINVAL && strstr(t.err, "extra") != NULL);
	jshim_config_free(&t.cfg);
	const char *novalue[] = { BASE, "--syncpipe-fd", NULL };
	parse(&t, novalue);
	CHECK(t.r == -EINVAL && strstr(t.err, "--syncpipe-fd") != NULL);
	jshim_config_free(&t.cfg);
	const char *boolval[] = { BASE, "--syncpipe-fd", "3", "--stdin=yes", NULL };
	parse(&t, boolval);
	CHECK(t.r == -EINVAL && strstr(t.err, "--stdin") != NULL);
	jshim_config_free(&t.cfg);
	const char *both[] = { BASE, "--stdin", "--stdin-once", "--syncpipe-fd", "3", NULL };
	parse(&t, both);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.stdin_open && t.cfg.stdin_once);
	jshim_config_free(&t.cfg);
	const char *help[] = { "--bundle", "x", "--help", NULL };
	parse(&t, help);
	CHECK(t.r == JSHIM_CLI_HELP);
	jshim_config_free(&t.cfg);
	const char *version[] = { "-V", NULL };
	parse(&t, version);
	CHECK(t.r == JSHIM_CLI_VERSION);
	jshim_config_free(&t.cfg);
}

static void test_validate(void)
{
	struct run t;
	const char *args[] = { BASE, "--syncpipe-fd", "1", NULL };
	parse(&t, args);
	t.cfg.runtime = "/bin/sh";
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) == 0);
	t.cfg.sync_fd = 999;
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) < 0 && strstr(t.err, "--syncpipe-fd"));
	t.cfg.sync_fd = 1;
	t.cfg.runtime = "/nonexistent/runc";
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) < 0 && strstr(t.err, "--runtime"));
	t.cfg.runtime = "/etc/passwd";
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) < 0 && strstr(t.err, "--runtime"));
	t.cfg.runtime = "/bin/sh";
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	t.cfg.attach_path = longp;
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) < 0 &&
	      strstr(t.err, "--container-attachfile"));
	t.cfg.attach_path = "/a/abc";
	t.cfg.daemon_socket = longp;
	CHECK(jshim_config_validate(&t.cfg, t.err, sizeof t.err) < 0 && strstr(t.err, "--jshimd-socket"));
	jshim_config_free(&t.cfg);
}

int main(void)
{
	test_conman_argv();
	test_runtime_args_order_and_quotes();
	test_syncpipe_precedence();
	test_socket_and_jshimd_precedence();
	test_missing_required();
	test_log_levels();
	test_errors_and_booleans();
	test_validate();
	return check_result("test_cli");
}
