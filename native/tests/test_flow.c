/* test_flow.c: the runtime argv (create, restore, exec), conmon's exit status, the exit file
 * written through a dir fd in both formats, the passthrough/stdin pipes, and the first
 * hand-over's step in each daemon outlook (issue 12). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "container_fds.h"
#include "jshim_protocol.h"
#include "monitor.h"
#include "report.h"
#include "runtime.h"

static void join(char *out, size_t len, char **argv)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; argv[i]; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "", argv[i]);
}

static void test_argv(void)
{
	struct jshim_config cfg;
	char *argv[64], got[1024];
	char *rargs[] = { "--log-format=json", "--log", "/r/oci-log" };
	char *ropts[] = { "--preserve-fds", "2" };
	jshim_config_init(&cfg);
	cfg.runtime = "/usr/sbin/runc";
	cfg.bundle = "/b";
	cfg.container_pidfile = "/r/pidfile";
	cfg.container_id = "cid";
	/* shimmy: exactly the old argv */
	CHECK(jshim_runtime_argv(&cfg, NULL, argv, 64) == 7);
	join(got, sizeof got, argv);
	CHECK_STR(got, "/usr/sbin/runc create --bundle /b --pid-file /r/pidfile cid");
	cfg.runtime_args = rargs;
	cfg.n_runtime_args = 3;
	cfg.runtime_opts = ropts;
	cfg.n_runtime_opts = 2;
	cfg.systemd_cgroup = cfg.no_pivot = cfg.no_new_keyring = true;
	CHECK(jshim_runtime_argv(&cfg, "/tmp/cs", argv, 64) > 0);
	join(got, sizeof got, argv);
	CHECK_STR(got, "/usr/sbin/runc --systemd-cgroup --log-format=json --log /r/oci-log create --bundle /b "
		  "--pid-file /r/pidfile --no-pivot --no-new-keyring --preserve-fds 2 --console-socket /tmp/cs cid");
	cfg.restore_path = "/ckpt";
	cfg.no_new_keyring = false;
	CHECK(jshim_runtime_argv(&cfg, NULL, argv, 64) > 0);
	join(got, sizeof got, argv);
	CHECK_STR(got, "/usr/sbin/runc --systemd-cgroup --log-format=json --log /r/oci-log restore --bundle /b "
		  "--pid-file /r/pidfile --no-pivot --detach --image-path /ckpt --work-path /b --preserve-fds 2 cid");
	cfg.restore_path = NULL;
	cfg.exec = true;
	cfg.terminal = true;
	cfg.exec_process_spec = "/b/s/exec-process-1";
	CHECK(jshim_runtime_argv(&cfg, "/tmp/cs", argv, 64) > 0);
	join(got, sizeof got, argv);
	CHECK_STR(got, "/usr/sbin/runc --log-format=json --log /r/oci-log exec --pid-file /r/pidfile --process "
		  "/b/s/exec-process-1 --detach --tty --preserve-fds 2 --console-socket /tmp/cs cid");
	CHECK(jshim_runtime_argv(&cfg, NULL, argv, 5) == -E2BIG);
	cfg.runtime_args = cfg.runtime_opts = NULL;
	cfg.n_runtime_args = cfg.n_runtime_opts = 0;
	jshim_config_free(&cfg);
}

static void test_status(void)
{
	CHECK(jshim_conmon_status(3 << 8, false) == 3);
	CHECK(jshim_conmon_status(SIGKILL, false) == 137);
	CHECK(jshim_conmon_status(SIGSEGV | 0x80, false) == 139);
	CHECK(jshim_conmon_status(SIGKILL, true) == -1);
	CHECK(jshim_conmon_status(0, false) == 0);
}

static void read_file(int dir, const char *name, char *buf, size_t len)
{
	buf[0] = '\0';
	int fd = openat(dir, name, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void test_exit_file_at(void)
{
	char tmpl[] = "/tmp/jshim-test-flow-XXXXXX", buf[256];
	CHECK(mkdtemp(tmpl) != NULL);
	int dir = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir >= 0);
	CHECK(jshim_exit_file_write_at(dir, "c1", JSHIM_EXIT_CONMON_CODE, 5 << 8, false) == 0);
	read_file(dir, "c1", buf, sizeof buf);
	CHECK_STR(buf, "5");
	CHECK(jshim_exit_file_write_at(dir, "c1", JSHIM_EXIT_CONMON_CODE, SIGKILL, true) == 0);
	read_file(dir, "c1", buf, sizeof buf);
	CHECK_STR(buf, "-1");
	CHECK(jshim_exit_file_write_at(dir, "c2", JSHIM_EXIT_SHIMMY_JSON, SIGTERM, false) == 0);
	read_file(dir, "c2", buf, sizeof buf);
	CHECK(strstr(buf, "\"reason\": \"signaled\", \"signal\": 15}") != NULL);
	/* a symlink at the name is replaced, never followed */
	char target[300];
	snprintf(target, sizeof target, "%s/target", tmpl);
	CHECK(symlinkat(target, dir, "c3") == 0);
	CHECK(jshim_exit_file_write_at(dir, "c3", JSHIM_EXIT_CONMON_CODE, 0, false) == 0);
	struct stat st;
	CHECK(stat(target, &st) < 0 && errno == ENOENT);
	read_file(dir, "c3", buf, sizeof buf);
	CHECK_STR(buf, "0");
	const char *names[] = { "c1", "c2", "c3" };
	for (int i = 0; i < 3; i++)
		unlinkat(dir, names[i], 0);
	close(dir);
	CHECK(rmdir(tmpl) == 0); /* no temp file left behind */
}

static void test_passthrough_pipes(void)
{
	struct jshim_config cfg;
	struct jshim_container_fds f;
	int child[3], orig[3] = { 0, 1, 2 };
	char c;
	jshim_config_init(&cfg);
	jshim_container_fds_init(&f);
	cfg.stdin_open = true;
	CHECK(jshim_runtime_pipes(&cfg, &f, orig, child) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(child[i] > 2 && (fcntl(child[i], F_GETFD) & FD_CLOEXEC));
		close(child[i]);
	}
	CHECK(read(f.fd[JSHIM_FD_STDOUT], &c, 1) == 0); /* EOF at once for the daemon */
	CHECK(read(f.fd[JSHIM_FD_STDERR], &c, 1) == 0);
	CHECK(f.fd[JSHIM_CFD_STDIN] == -1); /* the runtime reads the original stdin */
	jshim_container_fds_close(&f);
	CHECK(jshim_runtime_pipes(&cfg, &f, NULL, child) == 0);
	CHECK(child[0] >= 0 && f.fd[JSHIM_CFD_STDIN] >= 0);
	CHECK(write(child[1], "x", 1) == 1 && read(f.fd[JSHIM_FD_STDOUT], &c, 1) == 1 && c == 'x');
	for (int i = 0; i < 3; i++)
		close(child[i]);
	jshim_container_fds_close(&f);
	jshim_config_free(&cfg);
}

static void recv_str(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
}

/* conmon's sync records: a failure always carries a message; exec keeps the fd for the status */
static void test_conmon_reports(void)
{
	struct jshim_config cfg;
	struct jshim_mon m;
	int sp[2];
	char buf[4096];
	jshim_config_init(&cfg);
	cfg.dialect = JSHIM_DIALECT_CONMON;
	cfg.api_version = 1;
	cfg.runtime = "/rt";
	memset(&m, 0, sizeof m);
	m.cfg = &cfg;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	jshim_report_runtime_failure(&m, "Runtime Exited with code 1.", NULL, 0);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"data\": -1, \"message\": \"jshim: /rt create failed: Runtime Exited with code 1. "
		  "(it wrote nothing on stderr)\"}\n");
	CHECK(m.sync_fd == -1); /* closed after a create's one record */
	close(sp[1]);

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	jshim_report_runtime_failure(&m, "Runtime Exited with code 1.", "oops\n", 5);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"data\": -1, \"message\": \"oops\\n\"}\n");
	close(sp[1]);

	/* exec, API 1 (podman): the pid, then the exit status on the same fd */
	cfg.exec = true;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	m.container_pid = 4242;
	jshim_report_created(&m);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"data\": 4242}\n");
	CHECK(m.sync_fd == sp[0]);
	m.wait_status = 4 << 8;
	jshim_report_exec_exit(&m);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"data\": 4}\n");
	CHECK(m.sync_fd == -1);
	close(sp[1]);

	/* exec, API 0 (CRI-O ExecSync): no pid, one {"exit_code": N} record */
	cfg.api_version = 0;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	jshim_report_created(&m);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "");
	CHECK(m.sync_fd == sp[0]);
	m.wait_status = SIGKILL;
	jshim_report_exec_exit(&m);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"exit_code\": 137}\n");
	close(sp[1]);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	jshim_report_runtime_failure(&m, "Runtime Exited with code 1.", "bad", 3);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"exit_code\": -1, \"message\": \"bad\"}\n");
	close(sp[1]);
	m.timed_out = true;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	jshim_report_exec_exit(&m);
	recv_str(sp[1], buf, sizeof buf);
	CHECK_STR(buf, "{\"exit_code\": -1, \"message\": \"command timed out\"}\n");
	close(sp[1]);
	m.timed_out = false;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	m.sync_fd = sp[0];
	m.timed_out = true;
	close(sp[1]); /* the manager is gone: EPIPE is ignored */
	jshim_report_exec_exit(&m);
	CHECK(m.sync_fd == -1);
	jshim_config_free(&cfg);
}

/* Issue 12: the first hand-over's step (handover_step.c) in each daemon outlook. */
static void test_handover_step(void)
{
	int64_t until;
	struct jshim_ho_view v = { .now = 1000, .deadline = 9000, .outlook = JSHIM_DAEMON_CONNECTED,
				   .hello_at = 999, .spawned_at = 0 };
	/* a running daemon (warm): wait for READY as before, until the deadline, then fail */
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 9000);
	v.ready = true;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_REPORT);
	v.ready = false;
	v.now = 9000;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_FAIL_TIMEOUT);
	/* nobody answers and no start is known: wait (the next attempt starts one) */
	v.now = 1000;
	v.outlook = JSHIM_DAEMON_UNKNOWN;
	v.hello_at = 0;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 9000);
	/* ours, too young to tell from /bin/false: wait for the end of the viable window */
	v.outlook = JSHIM_DAEMON_YOUNG;
	v.spawned_at = 950;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 950 + JSHIM_DAEMON_VIABLE_MS);
	v.deadline = 1010; /* never past the deadline */
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 1010);
	v.deadline = 9000;
	v.now = 1200; /* past the window, not run enough yet: look again soon */
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 1200 + JSHIM_DAEMON_LOOK_MS);
	v.now = 1000;
	/* ours and alive past the window, or another launcher starting one: report now */
	v.outlook = JSHIM_DAEMON_STARTING;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_REPORT_EARLY);
	v.outlook = JSHIM_DAEMON_OTHERS;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_REPORT_EARLY);
	/* ours, connected: a short wait for READY after the HELLO, then report anyway */
	v.outlook = JSHIM_DAEMON_OURS;
	v.hello_at = 990;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_WAIT && until == 990 + JSHIM_READY_GRACE_MS);
	v.now = 990 + JSHIM_READY_GRACE_MS;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_REPORT_EARLY);
	v.ready = true;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_REPORT);
	v.ready = false;
	/* ours exited at once and no start is left: fail now, whatever the deadline */
	v.outlook = JSHIM_DAEMON_GONE;
	CHECK(jshim_handover_step(&v, &until) == JSHIM_HO_FAIL_GONE);
}

/* The outlook the link gives: started by us (young, starting, gone), others, connected. */
static void test_link_outlook(void)
{
	struct jshim_config cfg;
	struct jshim_link l;
	jshim_config_init(&cfg);
	cfg.daemon_socket = "/nonexistent/s";
	jshim_link_init(&l, &cfg);
	CHECK(jshim_link_outlook(&l, 0) == JSHIM_DAEMON_UNKNOWN);
	l.lock_busy = true;
	CHECK(jshim_link_outlook(&l, 0) == JSHIM_DAEMON_OTHERS);
	l.lock_busy = false;
	pid_t child = fork(); /* a live "daemon" that has not run (sleeps) */
	if (child == 0) {
		pause();
		_exit(0);
	}
	CHECK(child > 0);
	l.spawned = true;
	l.spawns = 1;
	l.daemon_pid = child;
	l.spawned_at = 1000;
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_VIABLE_MS - 1) == JSHIM_DAEMON_YOUNG);
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_VIABLE_MS) == JSHIM_DAEMON_YOUNG); /* no CPU yet */
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_PATIENT_MS) == JSHIM_DAEMON_STARTING);
	kill(child, SIGKILL);
	int st;
	CHECK(waitpid(child, &st, 0) == child);
	child = fork(); /* one that runs, as a JVM does */
	if (child == 0)
		for (;;)
			;
	CHECK(child > 0);
	l.daemon_pid = child;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
	bool ran = false;
	for (int i = 0; i < 500 && !ran; i++) { /* until it has 2 ticks past the threshold */
		usleep(10000);
		FILE *f = fopen(path, "r");
		unsigned long ut = 0, stt = 0;
		if (f != NULL && fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
					&stt) == 2)
			ran = (ut + stt) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK) >= JSHIM_DAEMON_VIABLE_CPU_MS + 20;
		if (f != NULL)
			fclose(f);
	}
	CHECK(ran);
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_VIABLE_MS - 1) == JSHIM_DAEMON_YOUNG);
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_VIABLE_MS) == JSHIM_DAEMON_STARTING);
	kill(child, SIGKILL);
	CHECK(waitpid(child, &st, 0) == child);
	/* dead: started again at the next attempt while the episode may, else gone */
	CHECK(jshim_link_outlook(&l, 1000) == JSHIM_DAEMON_UNKNOWN);
	l.spawns = JSHIM_SPAWNS_PER_EPISODE;
	CHECK(jshim_link_outlook(&l, 1000) == JSHIM_DAEMON_GONE);
	l.daemon_pid = -1; /* the start itself failed */
	CHECK(jshim_link_outlook(&l, 1000) == JSHIM_DAEMON_GONE);
	l.daemon_pid = 0; /* systemd starts it: unknown pid, taken as starting */
	CHECK(jshim_link_outlook(&l, 1000 + JSHIM_DAEMON_VIABLE_MS) == JSHIM_DAEMON_STARTING);
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	l.fd = sp[0];
	CHECK(jshim_link_outlook(&l, 0) == JSHIM_DAEMON_OURS);
	l.spawned = false;
	CHECK(jshim_link_outlook(&l, 0) == JSHIM_DAEMON_CONNECTED);
	jshim_link_close(&l);
	close(sp[1]);
	jshim_config_free(&cfg);
}

int main(void)
{
	test_argv();
	test_status();
	test_exit_file_at();
	test_passthrough_pipes();
	test_conmon_reports();
	test_handover_step();
	test_link_outlook();
	return check_result("test_flow");
}
