/* test_cli_conmon_errors.c: conmon's error messages (text and stream), -l variants, --help and
 * --version, the validation, and the choice between the shimmy and conmon dialects. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "conmon_argv.h"
#include "jshim_protocol.h"

#define ID "7436588aff3cd4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9"
#define OUT JSHIM_CLI_ERR_STDOUT
#define ERR (-EINVAL)

static const char *const base[] = { "-c", ID, "-u", ID, "-r", "/bin/sh", "-l", "/l/ctr.log", NULL };

struct err_case {
	const char *const *pre; /* NULL: nothing */
	const char *args[12];
	int want_r;
	const char *want;
};

static const struct err_case cases[] = {
	{ base, { "--frob" }, OUT, "conmon: option parsing failed: Unknown option --frob" },
	{ base, { "--frob=3" }, OUT, "conmon: option parsing failed: Unknown option --frob=3" },
	{ base, { "-ix" }, OUT, "conmon: option parsing failed: Unknown option -ix" },
	{ base, { "--cid" }, OUT, "conmon: option parsing failed: Missing argument for --cid" },
	{ base, { "-c" }, OUT, "conmon: option parsing failed: Missing argument for -c" },
	{ base, { "-ci" }, OUT, "conmon: option parsing failed: Missing argument for -c" },
	{ base, { "--exit-delay", "x" }, OUT,
	  "conmon: option parsing failed: Cannot parse integer value \u201cx\u201d for --exit-delay" },
	{ base, { "-T", "99999999999" }, OUT,
	  "conmon: option parsing failed: Integer value \u201c99999999999\u201d for -T out of range" },
	{ base, { "--log-size-max=1k" }, OUT,
	  "conmon: option parsing failed: Cannot parse integer value \u201c1k\u201d for --log-size-max" },
	{ NULL, { "--version", "--frob" }, OUT, "conmon: option parsing failed: Unknown option --frob" },
	{ NULL, { "-u", "x", "-r", "/bin/sh" }, ERR, "conmon: Container ID not provided. Use --cid" },
	{ NULL, { "-c", ID, "-r", "/bin/sh", "-l", "x" }, ERR,
	  "[conmon:e] Container UUID not provided. Use --cuuid" },
	{ NULL, { "--api-version", "-c", ID, "-r", "/bin/sh", "-l", "none", "-e", "--exec-process-spec", "/x" },
	  ERR, "[conmon:e] Container UUID not provided. Use --cuuid" },
	{ NULL, { "-c", ID, "-u", ID, "-l", "x" }, ERR, "[conmon:e] Runtime path not provided. Use --runtime" },
	{ NULL, { "-c", ID, "-u", ID, "-r", "/nonexistent/runc" }, ERR,
	  "[conmon:e]: Runtime path /nonexistent/runc is not valid No such file or directory" },
	{ NULL, { "-c", ID, "-u", ID, "-r", "/etc/passwd" }, ERR,
	  "[conmon:e]: Runtime path /etc/passwd is not valid Permission denied" },
	{ NULL, { "-c", ID, "-u", ID, "-r", "/tmp" }, ERR,
	  "[conmon:e]: Runtime path /tmp is not valid Permission denied" },
	{ base, { "-e" }, ERR, "[conmon:e] Exec process spec path not provided. Use --exec-process-spec" },
	{ base, { "--exec-attach" }, ERR, "[conmon:e] Attach can only be specified with exec" },
	{ base, { "-e", "--exec-attach", "--exec-process-spec", "/x" }, ERR,
	  "[conmon:e] Attach can only be specified for a non-legacy exec session" },
	{ base, { "--restore", "/x", "-e" }, ERR, "[conmon:e] Cannot use 'exec' and 'restore' at the same time" },
	{ base, { "--exit-delay=-1" }, ERR,
	  "[conmon:e] Delay before invoking exit command must be greater than or equal to 0" },
	{ base, { "--log-tag", "t" }, ERR, "[conmon:e] k8s-file doesn't support --log-tag" },
	{ NULL, { "-c", "shortid", "-u", "x", "-r", "/bin/sh", "-l", "journald" }, ERR,
	  "[conmon:e] Container ID must be longer than 12 characters" },
	{ NULL, { "-c", ID, "-u", ID, "-r", "/bin/sh" }, ERR, "[conmon:e] Log driver not provided. Use --log-path" },
	{ base, { "-l", "k8s-file" }, ERR, "[conmon:e]: k8s-file requires a filename" },
	{ base, { "-l", "k8s-file:" }, ERR, "[conmon:e]: k8s-file requires a filename" },
	{ base, { "-l", "foo:bar" }, ERR, "[conmon:e]: No such log driver foo" },
	{ base, { "-l", "" }, ERR, "[conmon:e]: log-path must not be empty" },
	{ base, { "-l", "::" }, ERR, "[conmon:e]: log-path must not be empty" },
	{ base, { "-l", ":a:b" }, ERR, "[conmon:e]: No such log driver a" },
	{ base, { "-l", "foo:" }, ERR, "[conmon:e]: No such log driver foo" },
	{ base, { "--log-level", "verbose" }, ERR, "[conmon:e]: No such log level verbose" },
	{ base, { "--log-level", "off" }, ERR, "[conmon:e]: No such log level off" },
	{ base, { "--seccomp-notify-socket", "/s", "--seccomp-notify-plugins", "p" }, ERR,
	  "[conmon:e]: seccomp support not present Operation not supported" },
	{ base, { "--runtime-opt", "--preserve-fds", "--runtime-opt", "x" }, ERR,
	  "[conmon:e] --runtime-opt --preserve-fds x: not a number of file descriptors" },
	{ base, { "--api-version", "-e", "--exec-attach", "--exec-process-spec", "/x" }, ERR,
	  "[conmon:e]: --attach specified but _OCI_ATTACHPIPE was not Invalid argument" },
};

static void test_error_table(void)
{
	unsetenv("_OCI_SYNCPIPE");
	unsetenv("_OCI_STARTPIPE");
	unsetenv("_OCI_ATTACHPIPE");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run t;
		parse3(&t, cases[i].pre, cases[i].args, NULL);
		if (t.r != cases[i].want_r || strcmp(t.err, cases[i].want) != 0) {
			fprintf(stderr, "case %zu: got %d '%s', want %d '%s'\n", i, t.r, t.err, cases[i].want_r,
				cases[i].want);
			check_failures++;
		}
		jshim_config_free(&t.cfg);
	}
}

static void test_env_pipes(void)
{
	static const char *const bad[] = { "x3", "-1", " 3", "", "3 ", "99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run t;
		setenv("_OCI_SYNCPIPE", bad[i], 1);
		parse(&t, base);
		CHECK(t.r == -EINVAL);
		CHECK_STR(t.err, "[conmon:e]: unable to parse _OCI_SYNCPIPE Invalid argument");
		jshim_config_free(&t.cfg);
	}
	unsetenv("_OCI_SYNCPIPE");
	struct run t;
	setenv("_OCI_STARTPIPE", "4x", 1);
	parse(&t, base);
	CHECK(t.r == -EINVAL);
	CHECK_STR(t.err, "[conmon:e]: unable to parse _OCI_STARTPIPE Invalid argument");
	jshim_config_free(&t.cfg);
	unsetenv("_OCI_STARTPIPE");
	parse(&t, base); /* neither set: conmon goes on without them */
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.sync_fd == -1 && t.cfg.start_fd == -1);
	jshim_config_free(&t.cfg);
	setenv("_OCI_ATTACHPIPE", "5", 1); /* read only with --exec-attach */
	parse(&t, base);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.attach_pipe_fd == -1);
	jshim_config_free(&t.cfg);
	unsetenv("_OCI_ATTACHPIPE");
}

/* Parses base + extra with fds 0..2 on fd (a tty or /dev/null), stdio restored before checks. */
static void parse_with_stdio(struct run *t, const char *const *extra, int fd)
{
	int saved[3];
	fflush(NULL);
	for (int i = 0; i < 3; i++) {
		saved[i] = dup(i);
		dup2(fd, i);
	}
	parse3(t, base, extra, NULL);
	for (int i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
}

static void test_passthrough(void)
{
	struct run t;
	const char *const pass[] = { "-l", "passthrough", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(null >= 0);
	parse_with_stdio(&t, pass, null);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK(t.cfg.log_drivers == (JSHIM_LOGDRV_FILE | JSHIM_LOGDRV_PASSTHROUGH)); /* base has a file */
	CHECK(t.cfg.attach_format == 0 && t.cfg.attach_path == NULL);
	jshim_config_free(&t.cfg);
	close(null);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(tty >= 0);
	parse_with_stdio(&t, pass, tty);
	CHECK(t.r == -EINVAL);
	CHECK_STR(t.err, "[conmon:e]: cannot use a tty with passthrough logging mode to prevent attacks "
			 "via TIOCSTI");
	jshim_config_free(&t.cfg);
	close(tty);
	close(master);
}

static void test_log_variants(void)
{
	static const struct {
		const char *l[3];
		const char *tag;
		uint32_t drivers;
		const char *path;
	} v[] = {
		{ { "k8s-file:/a/ctr.log" }, NULL, JSHIM_LOGDRV_FILE, "/a/ctr.log" },
		{ { "/a/bare.log" }, NULL, JSHIM_LOGDRV_FILE, "/a/bare.log" },
		{ { ":none" }, NULL, JSHIM_LOGDRV_FILE, "none" },
		{ { "k8s-file:/a:b" }, NULL, JSHIM_LOGDRV_FILE, "/a" }, /* conmon's strtok */
		{ { "::/a" }, NULL, JSHIM_LOGDRV_FILE, "/a" },
		{ { "none" }, NULL, 0, NULL },
		{ { "off" }, NULL, 0, NULL },
		{ { "null" }, NULL, 0, NULL },
		{ { "journald" }, NULL, JSHIM_LOGDRV_JOURNALD, NULL },
		{ { "journald:" }, "tag", JSHIM_LOGDRV_JOURNALD, NULL },
		{ { "none", "k8s-file:/x" }, NULL, JSHIM_LOGDRV_FILE, "/x" },
		{ { "k8s-file:/x", "none" }, NULL, JSHIM_LOGDRV_FILE, "/x" },
		{ { "/x", "journald:" }, "tag", JSHIM_LOGDRV_FILE | JSHIM_LOGDRV_JOURNALD, "/x" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		const char *a[16] = { "-c", ID, "-u", ID, "-r", "/bin/sh" };
		int n = 6;
		for (int k = 0; k < 3 && v[i].l[k]; k++) {
			a[n++] = "-l";
			a[n++] = v[i].l[k];
		}
		if (v[i].tag) {
			a[n++] = "--log-tag";
			a[n++] = v[i].tag;
		}
		struct run t;
		parse(&t, a);
		int ok = t.r == JSHIM_CLI_OK && t.cfg.log_drivers == v[i].drivers &&
			 t.cfg.log_format == JSHIM_LOG_K8S_FILE &&
			 (v[i].path ? t.cfg.log_path && strcmp(t.cfg.log_path, v[i].path) == 0 : !t.cfg.log_path);
		if (!ok) {
			fprintf(stderr, "log variant %zu: r %d '%s' drivers %u path %s\n", i, t.r, t.err,
				t.cfg.log_drivers, t.cfg.log_path ? t.cfg.log_path : "(null)");
			check_failures++;
		}
		CHECK(t.cfg.attach_format == JSHIM_ATTACH_CONMON);
		jshim_config_free(&t.cfg);
	}
}

static void test_help_and_version(void)
{
	static const struct {
		const char *args[6];
		int want;
	} v[] = {
		{ { "--help" }, JSHIM_CLI_HELP },
		{ { "-h" }, JSHIM_CLI_HELP },
		{ { "-?" }, JSHIM_CLI_HELP },
		{ { "-c", "x", "--help", "--frob" }, JSHIM_CLI_HELP },
		{ { "--frob", "--help" }, OUT },
		{ { "--version" }, JSHIM_CLI_VERSION },
		{ { "--version", "-c", ID, "-r", "/nonexistent" }, JSHIM_CLI_VERSION },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct run t;
		parse(&t, v[i].args);
		CHECK(t.r == v[i].want);
		jshim_config_free(&t.cfg);
	}
}

static void test_validate(void)
{
	struct run t;
	parse(&t, base);
	CHECK(t.r == JSHIM_CLI_OK);
	t.cfg.sync_fd = 1;
	t.cfg.start_fd = 0;
	CHECK(jshim_cli_conmon_validate(&t.cfg, t.err, sizeof t.err) == 0);
	t.cfg.sync_fd = 999;
	CHECK(jshim_cli_conmon_validate(&t.cfg, t.err, sizeof t.err) < 0);
	CHECK_STR(t.err, "[conmon:e]: unable to make _OCI_SYNCPIPE CLOEXEC Bad file descriptor");
	t.cfg.sync_fd = -1;
	t.cfg.attach_pipe_fd = 998;
	CHECK(jshim_cli_conmon_validate(&t.cfg, t.err, sizeof t.err) < 0);
	CHECK_STR(t.err, "[conmon:e]: unable to make _OCI_ATTACHPIPE CLOEXEC Bad file descriptor");
	t.cfg.attach_pipe_fd = -1;
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	t.cfg.daemon_socket = longp;
	CHECK(jshim_cli_conmon_validate(&t.cfg, t.err, sizeof t.err) < 0 && strstr(t.err, "JSHIM_SOCKET"));
	t.cfg.daemon_socket = JSHIM_DEFAULT_SOCKET;
	t.cfg.container_id = "";
	CHECK(jshim_cli_conmon_validate(&t.cfg, t.err, sizeof t.err) < 0);
	CHECK_STR(t.err, "[conmon:e] Container ID must not be empty");
	jshim_config_free(&t.cfg);
}

#define SHIMMY_BASE                                                                              \
	"--shimmy-pidfile", "/b/shimmy.pid", "--runtime", "/usr/sbin/runc", "--bundle", "/b",     \
		"--container-id", "abc", "--container-pidfile", "/b/c.pid", "--container-logfile",   \
		"/l/abc.log", "--container-exitfile", "/e/abc", "--container-attachfile", "/a/abc"

static int dialect(const char *argv0, const char *const *a)
{
	char *argv[MAXARGS];
	int argc = join(argv, argv0, a, NULL, NULL);
	return jshim_cli_dialect(argc, argv);
}

static void test_dialect(void)
{
	static const struct {
		const char *argv0;
		const char *args[40];
		int want;
	} v[] = {
		{ "jshim", { SHIMMY_BASE, "--syncpipe-fd", "3", NULL }, JSHIM_DIALECT_SHIMMY },
		{ "/usr/bin/jshim", { SHIMMY_BASE, "--shimmy-log-level", "TRACE", "--runtime-arg='-c'",
				      "--runtime-arg", "-u", "--runtime-arg", "--api-version", "--stdin",
				      "--stdin-once", "--syncpipe-fd=3", "--jshimd-socket", "/s", "--jshimd=/d" },
		  JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "--runtime-arg", "-c", SHIMMY_BASE }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { NULL }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "--version" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "-V" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "--help" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "-h" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "foo" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "--frob" }, JSHIM_DIALECT_SHIMMY },
		{ "jshim", { "--shimmy-pidfile", "/p", "-c", "x" }, JSHIM_DIALECT_SHIMMY },
		{ "conmon", { "--version" }, JSHIM_DIALECT_CONMON },
		{ "/usr/libexec/podman/conmon", { NULL }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "--api-version", "1", "-c", ID, "-u", ID, "-r", "/usr/bin/runc" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "-b", "/b", "-c", ID, "--exit-dir", "/e", "-l", "/l" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "-c", ID, "-n", "x", "-e", "--sync" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "--runtime-arg", "--log", "--runtime-arg=/x", "-c", "x" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "--runtime", "/x", "--bundle", "/b", "--cid", "y" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "--api-version", "--version" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "--exit-command-arg", "--shimmy-pidfile", "-c", "x" }, JSHIM_DIALECT_CONMON },
		{ "jshim", { "-c", "x", "--frob" }, JSHIM_DIALECT_CONMON },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int got = dialect(v[i].argv0, v[i].args);
		if (got != v[i].want) {
			fprintf(stderr, "dialect case %zu: got %s\n", i, got == JSHIM_DIALECT_CONMON ? "conmon" : "shimmy");
			check_failures++;
		}
	}
}

int main(void)
{
	test_error_table();
	test_env_pipes();
	test_passthrough();
	test_log_variants();
	test_help_and_version();
	test_validate();
	test_dialect();
	return check_result("test_cli_conmon_errors");
}
