/* test_cli_conmon.c: conmon's command line (podman 4.3.1 and CRI-O argv), its errors and
 * defaults, and the dialect choice. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "conmon_argv.h"
#include "jshim_protocol.h"

#define ID "06c112476c73a6c9a5a0e9d4a2a6b0e1d6f9e5d4c3b2a1f0e9d8c7b6a5f4e3d2"
#define B "/var/lib/containers/storage/overlay-containers/" ID "/userdata"
#define R "/run/containers/storage/overlay-containers/" ID "/userdata"

static void env_podman(void)
{
	setenv("_OCI_SYNCPIPE", "3", 1);
	setenv("_OCI_STARTPIPE", "4", 1);
	unsetenv("_OCI_ATTACHPIPE");
	unsetenv("JSHIM_SOCKET");
	unsetenv("JSHIMD");
}

static const char *const podman_head[] = {
	"--api-version", "1", "-c", ID, "-u", ID, "-r", "/usr/bin/runc", "-b", B, "-p", R "/pidfile",
	"-n", "s-det", "--exit-dir", "/run/libpod/exits", "--full-attach", "-l", "k8s-file:" B "/ctr.log",
	"--log-level", "warning", "--runtime-arg", "--log-format=json", "--runtime-arg", "--log",
	"--runtime-arg=" R "/oci-log", NULL
};
static const char *const podman_tail[] = {
	"--conmon-pidfile", R "/conmon.pid", "--exit-command", "/usr/bin/podman",
	"--exit-command-arg", "--root", "--exit-command-arg", "/var/lib/containers/storage",
	"--exit-command-arg", "--runroot", "--exit-command-arg", "/run/containers/storage",
	"--exit-command-arg", "--log-level", "--exit-command-arg", "warning",
	"--exit-command-arg", "--cgroup-manager", "--exit-command-arg", "cgroupfs",
	"--exit-command-arg", "--tmpdir", "--exit-command-arg", "/run/libpod",
	"--exit-command-arg", "--network-config-dir", "--exit-command-arg", "",
	"--exit-command-arg", "--network-backend", "--exit-command-arg", "netavark",
	"--exit-command-arg", "--volumepath", "--exit-command-arg", "/var/lib/containers/storage/volumes",
	"--exit-command-arg", "--runtime", "--exit-command-arg", "/usr/bin/runc",
	"--exit-command-arg", "--events-backend", "--exit-command-arg", "file",
	"--exit-command-arg", "container", "--exit-command-arg", "cleanup", "--exit-command-arg", ID, NULL
};

static void test_podman_run_d(void)
{
	struct run t;
	env_podman();
	parse3(&t, podman_head, podman_tail, NULL);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK(t.cfg.dialect == JSHIM_DIALECT_CONMON && t.cfg.api_version == 1);
	CHECK_STR(t.cfg.container_id, ID);
	CHECK_STR(t.cfg.cuuid, ID);
	CHECK_STR(t.cfg.runtime, "/usr/bin/runc");
	CHECK_STR(t.cfg.bundle, B);
	CHECK_STR(t.cfg.container_pidfile, R "/pidfile");
	CHECK_STR(t.cfg.name, "s-det");
	CHECK_STR(t.cfg.exit_dir, "/run/libpod/exits");
	CHECK_STR(t.cfg.exit_path, "/run/libpod/exits/" ID);
	CHECK(t.cfg.full_attach && t.cfg.attach_format == JSHIM_ATTACH_CONMON);
	CHECK_STR(t.cfg.attach_path, B "/attach");
	CHECK(t.cfg.log_drivers == JSHIM_LOGDRV_FILE);
	CHECK_STR(t.cfg.log_path, B "/ctr.log");
	CHECK(t.cfg.log_format == JSHIM_LOG_K8S_FILE && t.cfg.exit_format == JSHIM_EXIT_CONMON_CODE);
	CHECK(t.cfg.log_level == JSHIM_LOG_WARN);
	CHECK(t.cfg.n_runtime_args == 3);
	if (t.cfg.n_runtime_args == 3) {
		CHECK_STR(t.cfg.runtime_args[0], "--log-format=json");
		CHECK_STR(t.cfg.runtime_args[1], "--log");
		CHECK_STR(t.cfg.runtime_args[2], R "/oci-log");
	}
	CHECK_STR(t.cfg.conmon_pidfile, R "/conmon.pid");
	CHECK_STR(t.cfg.exit_command, "/usr/bin/podman");
	CHECK(t.cfg.n_exit_command_args == 23);
	if (t.cfg.n_exit_command_args == 23) {
		CHECK_STR(t.cfg.exit_command_args[0], "--root");
		CHECK_STR(t.cfg.exit_command_args[11], "");
		CHECK_STR(t.cfg.exit_command_args[20], "container");
		CHECK_STR(t.cfg.exit_command_args[22], ID);
	}
	CHECK(!t.cfg.stdin_open && !t.cfg.stdin_once && !t.cfg.terminal && !t.cfg.exec && !t.cfg.syslog);
	CHECK(t.cfg.sync_fd == 3 && t.cfg.start_fd == 4 && t.cfg.attach_pipe_fd == -1);
	CHECK(t.cfg.timeout_s == 0 && t.cfg.preserve_fds == 0 && t.cfg.log_size_max == 0);
	CHECK_STR(t.cfg.daemon_socket, JSHIM_DEFAULT_SOCKET);
	CHECK(t.cfg.jshimd != NULL && t.cfg.jshimd[0] == '/');
	CHECK_STR(t.cfg.socket_dir_path, "/var/run/crio");
	jshim_config_free(&t.cfg);
}

static void test_podman_variants(void)
{
	struct run t;
	env_podman();
	const char *const it[] = { "-t", NULL };
	parse3(&t, podman_head, it, podman_tail);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.terminal && !t.cfg.stdin_open && !t.cfg.stdin_once);
	jshim_config_free(&t.cfg);
	const char *const i[] = { "-i", NULL };
	parse3(&t, podman_head, i, podman_tail);
	CHECK(t.r == JSHIM_CLI_OK && !t.cfg.terminal && t.cfg.stdin_open && t.cfg.stdin_once);
	jshim_config_free(&t.cfg);
	const char *const timeout[] = { "--timeout=2", NULL };
	parse3(&t, podman_head, timeout, podman_tail);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.timeout_s == 2);
	jshim_config_free(&t.cfg);
	const char *const rm[] = { "--exit-command-arg", "--rm", "--exit-command-arg", ID, NULL };
	const char *const tail_rm[] = { "--conmon-pidfile", R "/conmon.pid", "--exit-command", "/usr/bin/podman",
					"--exit-command-arg", "container", "--exit-command-arg", "cleanup", NULL };
	parse3(&t, podman_head, tail_rm, rm);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.n_exit_command_args == 4);
	if (t.cfg.n_exit_command_args == 4) {
		CHECK_STR(t.cfg.exit_command_args[2], "--rm");
		CHECK_STR(t.cfg.exit_command_args[3], ID);
	}
	jshim_config_free(&t.cfg);
	/* debug: "--log-level debug --syslog" and no --log-format/--log runtime args */
	const char *const debug[] = { "--api-version", "1", "-c", ID, "-u", ID, "-r", "/usr/bin/runc", "-b", B,
				      "-p", R "/pidfile", "-n", "s-det", "--exit-dir", "/run/libpod/exits",
				      "--full-attach", "-l", "k8s-file:" B "/ctr.log", "--log-level", "debug",
				      "--syslog", NULL };
	parse3(&t, debug, podman_tail, NULL);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.log_level == JSHIM_LOG_DEBUG && t.cfg.syslog);
	CHECK(t.cfg.n_runtime_args == 0);
	jshim_config_free(&t.cfg);
}

#define SID "611b08efec40d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9"
#define SD B "/" SID

static void test_podman_exec_it(void)
{
	struct run t;
	env_podman();
	setenv("_OCI_ATTACHPIPE", "5", 1);
	const char *const a[] = { "--api-version", "1", "-c", ID, "-u", SID, "-r", "/usr/bin/runc", "-b", SD,
				  "-p", SD "/exec_pid", "-n", "s-att", "--exit-dir", SD "/exit", "--full-attach",
				  "-l", "none", "--log-level", "warning", "--runtime-arg", "--log-format=json",
				  "--runtime-arg", "--log", "--runtime-arg=" SD "/oci-log", "-t", "-i", "-e",
				  "--exec-attach", "--exec-process-spec", SD "/exec-process-1444472713",
				  "--exit-command", "/usr/bin/podman", "--exit-command-arg", "container",
				  "--exit-command-arg", "cleanup", "--exit-command-arg", "--exec",
				  "--exit-command-arg", SID, "--exit-command-arg", ID, NULL };
	parse(&t, a);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK(t.cfg.exec && t.cfg.exec_attach && t.cfg.terminal && t.cfg.stdin_open && t.cfg.stdin_once);
	CHECK_STR(t.cfg.cuuid, SID);
	CHECK_STR(t.cfg.exec_process_spec, SD "/exec-process-1444472713");
	CHECK(t.cfg.log_drivers == 0 && t.cfg.log_path == NULL);
	CHECK_STR(t.cfg.exit_path, SD "/exit/" ID);
	CHECK_STR(t.cfg.attach_path, SD "/attach");
	CHECK(t.cfg.sync_fd == 3 && t.cfg.start_fd == 4 && t.cfg.attach_pipe_fd == 5);
	CHECK(t.cfg.conmon_pidfile == NULL && t.cfg.n_exit_command_args == 5);
	jshim_config_free(&t.cfg);
	unsetenv("_OCI_ATTACHPIPE");
}

#define CB "/run/containers/storage/overlay-containers/" ID "/userdata"
static const char *const crio[] = {
	"-b", CB, "-c", ID, "--exit-dir", "/var/run/crio/exits", "-l",
	"/var/log/pods/default_web_uid/app/0.log", "--log-level", "info", "-n", "k8s_app_web_default_uid_0",
	"-P", CB "/conmon-pidfile", "-p", CB "/pidfile", "--persist-dir", B, "-r", "/usr/bin/runc",
	"--runtime-arg", "--root=/run/runc", "--socket-dir-path", "/var/run/crio", "--syslog", "-u", ID, "-s",
	NULL
};

static void test_crio_create(void)
{
	struct run t;
	unsetenv("_OCI_ATTACHPIPE");
	setenv("_OCI_SYNCPIPE", "3", 1);
	setenv("_OCI_STARTPIPE", "4", 1);
	parse(&t, crio);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.api_version == 0 && !t.cfg.full_attach);
	CHECK_STR(t.cfg.bundle, CB);
	CHECK_STR(t.cfg.persist_dir, B);
	CHECK_STR(t.cfg.conmon_pidfile, CB "/conmon-pidfile");
	CHECK_STR(t.cfg.log_path, "/var/log/pods/default_web_uid/app/0.log");
	CHECK(t.cfg.log_drivers == JSHIM_LOGDRV_FILE && t.cfg.log_level == JSHIM_LOG_INFO);
	CHECK_STR(t.cfg.attach_path, "/var/run/crio/" ID "/attach");
	CHECK_STR(t.cfg.exit_path, "/var/run/crio/exits/" ID);
	CHECK(t.cfg.syslog && t.cfg.systemd_cgroup && t.cfg.n_runtime_args == 1);
	jshim_config_free(&t.cfg);
	const char *const more[] = { "--log-size-max", "52428800", "--log-path", "journald:", "-t",
				     "--leave-stdin-open", "-i", NULL };
	parse3(&t, crio, more, NULL);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.log_size_max == 52428800);
	CHECK(t.cfg.log_drivers == (JSHIM_LOGDRV_FILE | JSHIM_LOGDRV_JOURNALD));
	CHECK(t.cfg.terminal && t.cfg.stdin_open && !t.cfg.stdin_once && t.cfg.leave_stdin_open);
	jshim_config_free(&t.cfg);
}

static void test_crio_execsync(void)
{
	struct run t;
	const char *const a[] = { "-c", ID, "-n", "k8s_app", "-r", "/usr/bin/runc", "-p", "/tmp/pidfile123",
				  "-e", "-l", "/tmp/crio-log-" ID "456", "--socket-dir-path", "/var/run/crio",
				  "--log-level", "info", "--sync", "--log-global-size-max", "16777216", "-T", "1",
				  "-s", "--exec-process-spec", "/tmp/exec-process-789", "--runtime-arg",
				  "--root=/run/runc", NULL };
	parse(&t, a);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK(t.cfg.exec && t.cfg.sync_mode && t.cfg.timeout_s == 1 && t.cfg.log_global_size_max == 16777216);
	CHECK(t.cfg.cuuid == NULL && t.cfg.bundle == NULL && t.cfg.attach_path == NULL);
	CHECK(t.cfg.attach_format == 0 && t.cfg.exit_path == NULL && t.cfg.api_version == 0);
	CHECK_STR(t.cfg.container_pidfile, "/tmp/pidfile123");
	jshim_config_free(&t.cfg);
}

static const char *const base[] = { "-c", ID, "-u", ID, "-r", "/bin/sh", "-l", "/l/ctr.log", NULL };

static void test_forms_and_order(void)
{
	struct run t;
	const char *const a[] = { "-cabc", "--cuuid=u1", "-r/bin/sh", "-l", "k8s-file:/l/1", "-l/l/2",
				  "--log-path=k8s-file:/l/3", "--runtime-arg", "-x", "--runtime-arg=--root=/r",
				  "--runtime-opt", "--preserve-fds", "--restore-arg", "2", "--runtime-opt=--tcp",
				  "-it", "-T5", "--exit-delay=3", "--bundle=/b", "--exit-dir", "/e",
				  "--pidfile", "/p1", "-ib", "/b2", "stray", "-", NULL };
	parse(&t, a);
	CHECK(t.r == JSHIM_CLI_OK);
	CHECK_STR(t.cfg.container_id, "abc");
	CHECK_STR(t.cfg.cuuid, "u1");
	CHECK_STR(t.cfg.runtime, "/bin/sh");
	CHECK_STR(t.cfg.log_path, "/l/3"); /* the last k8s-file wins */
	CHECK(t.cfg.n_runtime_args == 2 && t.cfg.n_runtime_opts == 3);
	if (t.cfg.n_runtime_args == 2 && t.cfg.n_runtime_opts == 3) {
		CHECK_STR(t.cfg.runtime_args[0], "-x");
		CHECK_STR(t.cfg.runtime_args[1], "--root=/r");
		CHECK_STR(t.cfg.runtime_opts[0], "--preserve-fds");
		CHECK_STR(t.cfg.runtime_opts[1], "2");
		CHECK_STR(t.cfg.runtime_opts[2], "--tcp");
	}
	CHECK(t.cfg.preserve_fds == 2 && t.cfg.stdin_open && t.cfg.terminal);
	CHECK(t.cfg.timeout_s == 5 && t.cfg.exit_delay_s == 3);
	CHECK_STR(t.cfg.bundle, "/b2"); /* "-ib V": GLib's flag cluster, b takes the next element */
	CHECK_STR(t.cfg.container_pidfile, "/p1");
	CHECK_STR(t.cfg.exit_path, "/e/abc");
	CHECK_STR(t.cfg.attach_path, "/var/run/crio/u1/attach");
	jshim_config_free(&t.cfg);
	const char *const b[] = { "--runtime-opt=--preserve-fds=7", "--socket-dir-path", "/s", "-T", "-4",
				  "--log-size-max=-1", "--api-version=1", "--", "-c", "other", "--frob", NULL };
	parse3(&t, base, b, NULL);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.preserve_fds == 7 && t.cfg.api_version == 1);
	CHECK(t.cfg.timeout_s == 0 && t.cfg.log_size_max == 0);
	CHECK_STR(t.cfg.container_id, ID);
	CHECK_STR(t.cfg.attach_path, "/s/" ID "/attach");
	jshim_config_free(&t.cfg);
	const char *const c[] = { "--api-version", "--api-version=0", "-c", "-i", "-T", "0x10", NULL };
	parse3(&t, base, c, NULL);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.api_version == 1 && t.cfg.timeout_s == 16);
	CHECK_STR(t.cfg.container_id, "-i"); /* GLib: the value is the next element, whatever it is */
	CHECK(!t.cfg.stdin_open);
	jshim_config_free(&t.cfg);
}

static void test_defaults(void)
{
	struct run t;
	char cwd[PATH_MAX], want[PATH_MAX + 100];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	parse(&t, base);
	CHECK(t.r == JSHIM_CLI_OK && t.cfg.api_version == 0 && t.cfg.log_level == JSHIM_LOG_WARN);
	CHECK_STR(t.cfg.bundle, cwd);
	snprintf(want, sizeof want, "%s/pidfile-%s", cwd, ID);
	CHECK_STR(t.cfg.container_pidfile, want);
	CHECK(t.cfg.exit_path == NULL && t.cfg.conmon_pidfile == NULL && t.cfg.persist_dir == NULL);
	jshim_config_free(&t.cfg);
	setenv("JSHIM_SOCKET", "/env/s.sock", 1);
	setenv("JSHIMD", "/env/jshimd", 1);
	const char *const fa[] = { "--full-attach", NULL };
	parse3(&t, base, fa, NULL);
	CHECK_STR(t.cfg.daemon_socket, "/env/s.sock");
	CHECK_STR(t.cfg.jshimd, "/env/jshimd");
	snprintf(want, sizeof want, "%s/attach", cwd);
	CHECK_STR(t.cfg.attach_path, want);
	jshim_config_free(&t.cfg);
	unsetenv("JSHIM_SOCKET");
	unsetenv("JSHIMD");
	static const struct {
		const char *name;
		enum jshim_log_level want;
	} levels[] = { { "ERROR", JSHIM_LOG_ERROR }, { "fatal", JSHIM_LOG_ERROR }, { "Panic", JSHIM_LOG_ERROR },
		       { "warn", JSHIM_LOG_WARN },   { "WARNING", JSHIM_LOG_WARN }, { "info", JSHIM_LOG_INFO },
		       { "Debug", JSHIM_LOG_DEBUG }, { "trace", JSHIM_LOG_TRACE } };
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		const char *const l[] = { "--log-level", levels[i].name, NULL };
		parse3(&t, base, l, NULL);
		CHECK(t.r == JSHIM_CLI_OK && t.cfg.log_level == levels[i].want);
		jshim_config_free(&t.cfg);
	}
}

int main(void)
{
	test_podman_run_d();
	test_podman_variants();
	test_podman_exec_it();
	test_crio_create();
	test_crio_execsync();
	test_forms_and_order();
	test_defaults();
	return check_result("test_cli_conmon");
}
