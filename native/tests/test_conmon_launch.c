/* test_conmon_launch.c JSHIM: the conmon dialect's process flow up to a failed create, with
 * a fake runtime and no daemon needed: nothing forks before the start byte, the process the
 * manager waits for writes --conmon-pidfile and exits 0, the attach socket, ctl and winsz
 * exist while the runtime runs (and ctl has a reader), the runtime's argv, the -1 record with
 * its stderr (or a launcher message), the exit command, the attach socket unlinked, exit 1;
 * -t: --console-socket and "Runtime did not set up terminal". Issue 12 (cold start): a daemon
 * that exits at once fails a successful create; one that is starting gets the pid reported
 * before it is READY, and the exit status still reaches the exit file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char dir[64];
static const char *jshim;

static void put(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void get(const char *name, char *buf, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	buf[0] = '\0';
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static bool exists(const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon for run(): JSHIMD=<jshimd>, and more environment (NAME=VALUE, or NULL). */
static const char *jshimd = "/bin/false";
static const char *more_env[4];

/* Runs jshim as podman would (sync fd 3, start fd 4) with extra args; returns the record, and
 * in *record_ms the time from the start byte to the record. With keep_sync, the sync socket
 * is returned (*keep_sync) right after the record instead of waiting for the monitor's end. */
static void run_ex(const char *extra, const char *runtime, char *record, size_t len, int *main_rc,
		   int64_t *record_ms, int *keep_sync)
{
	int sync[2], start[2];
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s/conmon.pid", dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/exitcmd.ran", dir);
	unlink(cmd);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, start) == 0);
	snprintf(cmd, sizeof cmd,
		 "exec '%s' --api-version 1 -c cid0123456789abc -u cid0123456789abc -r %s/%s -b %s "
		 "-p %s/pidfile -n nm --exit-dir %s/exits --full-attach -l k8s-file:%s/ctr.log "
		 "--log-level debug --runtime-arg --root=%s/rr --conmon-pidfile %s/conmon.pid "
		 "--exit-command %s/exitcmd --exit-command-arg one %s",
		 jshim, dir, runtime, dir, dir, dir, dir, dir, dir, dir, extra);
	pid_t p = fork();
	if (p == 0) {
		dup2(sync[1], 3);
		dup2(start[1], 4);
		char sock[128];
		snprintf(sock, sizeof sock, "JSHIM_SOCKET=%s/d/s", dir);
		putenv(sock);
		char daemon[256];
		snprintf(daemon, sizeof daemon, "JSHIMD=%s", jshimd);
		putenv(daemon);
		for (int i = 0; i < 4 && more_env[i] != NULL; i++)
			putenv((char *)more_env[i]);
		putenv("_OCI_SYNCPIPE=3");
		putenv("_OCI_STARTPIPE=4");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	close(start[1]);
	usleep(200 * 1000);
	int st;
	CHECK(waitpid(p, &st, WNOHANG) == 0); /* blocked on the start byte */
	CHECK(!exists("conmon.pid") && !exists("attach"));
	int64_t t0 = now_ms();
	CHECK(write(start[0], "", 1) == 1);
	CHECK(waitpid(p, &st, 0) == p);
	*main_rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	struct pollfd pfd = { sync[0], POLLIN, 0 };
	CHECK(poll(&pfd, 1, 20000) == 1);
	ssize_t n = recv(sync[0], record, len - 1, 0);
	record[n > 0 ? n : 0] = '\0';
	if (record_ms != NULL)
		*record_ms = now_ms() - t0;
	if (keep_sync != NULL) {
		*keep_sync = sync[0];
		close(start[0]);
		return;
	}
	/* the monitor closes the sync socket, then runs the exit command */
	char c;
	CHECK(poll(&pfd, 1, 10000) == 1 && recv(sync[0], &c, 1, 0) == 0);
	for (int i = 0; i < 100 && !exists("exitcmd.ran"); i++)
		usleep(50 * 1000);
	close(sync[0]);
	close(start[0]);
}

static void run(const char *extra, const char *runtime, char *record, size_t len, int *main_rc)
{
	run_ex(extra, runtime, record, len, main_rc, NULL, NULL);
}

static void test_failed_create(void)
{
	char record[4096], buf[1024];
	int rc;
	/* the fake runtime records its argv and what exists meanwhile, then fails */
	char rt[1024];
	snprintf(rt, sizeof rt,
		 "#!/bin/sh\necho \"$@\" > %s/argv\n"
		 "[ -S %s/attach ] && [ -p %s/ctl ] && [ -p %s/winsz ] && [ -f %s/ctr.log ] && echo ok > %s/seen\n"
		 "echo 'runc create failed: boom' >&2\nexit 1\n",
		 dir, dir, dir, dir, dir, dir);
	put("rt", rt, 0755);
	/* written aside, then renamed: run() waits for the name, then the content is read */
	snprintf(rt, sizeof rt, "#!/bin/sh\necho \"$@\" > %s/exitcmd.tmp && mv %s/exitcmd.tmp %s/exitcmd.ran\n",
		 dir, dir, dir);
	put("exitcmd", rt, 0755);
	run("", "rt", record, sizeof record, &rc);
	CHECK(rc == 0);
	CHECK_STR(record, "{\"data\": -1, \"message\": \"runc create failed: boom\\n\"}\n");
	get("argv", buf, sizeof buf);
	snprintf(rt, sizeof rt, "--root=%s/rr create --bundle %s --pid-file %s/pidfile cid0123456789abc\n", dir, dir,
		 dir);
	CHECK_STR(buf, rt);
	get("seen", buf, sizeof buf);
	CHECK_STR(buf, "ok\n");
	get("conmon.pid", buf, sizeof buf);
	CHECK(atoi(buf) > 0 && strchr(buf, '\n') == NULL);
	get("exitcmd.ran", buf, sizeof buf);
	CHECK_STR(buf, "one\n");
	CHECK(!exists("attach")); /* unlinked at the end */
	CHECK(!exists("exits/cid0123456789abc")); /* a failed create writes no exit file */
}

static void test_silent_runtime_and_terminal(void)
{
	char record[4096];
	int rc;
	put("rt2", "#!/bin/sh\nexit 3\n", 0755);
	run("", "rt2", record, sizeof record, &rc);
	CHECK(strncmp(record, "{\"data\": -1, \"message\": \"jshim: ", 32) == 0);
	CHECK(strstr(record, "Runtime Exited with code 3.") != NULL);
	CHECK(exists("exitcmd.ran"));
	/* -t: the runtime gets --console-socket <fresh path> last before the id; its failure is
	 * reported as without -t; a runtime that exits 0 without sending a pty master fails */
	run("-t", "rt", record, sizeof record, &rc);
	CHECK_STR(record, "{\"data\": -1, \"message\": \"runc create failed: boom\\n\"}\n");
	CHECK(exists("exitcmd.ran")); /* the exit command runs after every failed create */
	char argv[1024], sock[256] = "";
	get("argv", argv, sizeof argv);
	char *cs = strstr(argv, " --console-socket ");
	CHECK(cs != NULL && sscanf(cs, " --console-socket %255s", sock) == 1);
	CHECK(strncmp(sock, "/tmp/jshim-term.", 16) == 0 || getenv("TMPDIR") != NULL);
	CHECK(strstr(argv, " cid0123456789abc\n") != NULL);
	CHECK(sock[0] != '\0' && access(sock, F_OK) < 0); /* removed */
	put("rt4", "#!/bin/sh\nexit 0\n", 0755);
	run("-t", "rt4", record, sizeof record, &rc);
	CHECK_STR(record, "{\"data\": -1, \"message\": \"jshim: Runtime did not set up terminal (no pty master "
			  "on the console socket)\"}\n");
}

/* podman exec: {"data": 0} on the attach pipe once attach/ctl/winsz exist, and the runtime
 * runs only after the second start byte */
static void test_exec_attach(void)
{
	int sync[2], start[2], att[2];
	char cmd[2048], rec[4096], buf[1024];
	snprintf(buf, sizeof buf,
		 "#!/bin/sh\necho \"$@\" > %s/argv\necho 'exec failed: nope' >&2\nexit 1\n", dir);
	put("rt3", buf, 0755);
	snprintf(cmd, sizeof cmd, "%s/argv", dir);
	unlink(cmd);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, start) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, att) == 0);
	snprintf(cmd, sizeof cmd,
		 "exec '%s' --api-version 1 -c cid0123456789abc -u sid0123456789abc -r %s/rt3 -b %s "
		 "-p %s/exec_pid -n nm --exit-dir %s/exits --full-attach -l none --log-level debug "
		 "-i -e --exec-attach --exec-process-spec %s/spec --exit-command %s/exitcmd",
		 jshim, dir, dir, dir, dir, dir, dir);
	pid_t p = fork();
	if (p == 0) {
		dup2(sync[1], 3);
		dup2(start[1], 4);
		dup2(att[1], 5);
		char sock[128];
		snprintf(sock, sizeof sock, "JSHIM_SOCKET=%s/d/s", dir);
		putenv(sock);
		putenv("JSHIMD=/bin/false");
		putenv("_OCI_SYNCPIPE=3");
		putenv("_OCI_STARTPIPE=4");
		putenv("_OCI_ATTACHPIPE=5");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	close(start[1]);
	close(att[1]);
	int st;
	CHECK(write(start[0], "", 1) == 1);
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct pollfd pfd = { att[0], POLLIN, 0 };
	CHECK(poll(&pfd, 1, 10000) == 1);
	ssize_t n = recv(att[0], rec, sizeof rec - 1, 0);
	rec[n > 0 ? n : 0] = '\0';
	CHECK_STR(rec, "{\"data\": 0}\n");
	CHECK(exists("attach") && exists("ctl") && exists("winsz"));
	usleep(300 * 1000);
	CHECK(!exists("argv")); /* the runtime waits for the second start byte */
	CHECK(write(start[0], "", 1) == 1);
	pfd.fd = sync[0];
	CHECK(poll(&pfd, 1, 10000) == 1);
	n = recv(sync[0], rec, sizeof rec - 1, 0);
	rec[n > 0 ? n : 0] = '\0';
	CHECK_STR(rec, "{\"data\": -1, \"message\": \"exec failed: nope\\n\"}\n");
	get("argv", buf, sizeof buf);
	snprintf(cmd, sizeof cmd, "exec --pid-file %s/exec_pid --process %s/spec --detach cid0123456789abc\n",
		 dir, dir);
	CHECK_STR(buf, cmd);
	close(sync[0]);
	close(start[0]);
	close(att[0]);
}

/* A runtime whose create succeeds: the "container" is a sleep re-parented to the monitor. */
static void put_ok_runtime(void)
{
	char rt[512];
	snprintf(rt, sizeof rt,
		 "#!/bin/sh\nsleep 30 </dev/null >/dev/null 2>&1 &\necho $! > %s/pidfile.tmp\n"
		 "mv %s/pidfile.tmp %s/pidfile\nexit 0\n", dir, dir, dir);
	put("rtok", rt, 0755);
}

static int pidfile_pid(void)
{
	char buf[64];
	get("pidfile", buf, sizeof buf);
	return atoi(buf);
}

/* Waits (up to 10 s) for the monitor of the last run (its --conmon-pidfile) to be gone: it
 * runs the exit command and waits for it before it exits. */
static void wait_monitor_gone(void)
{
	char buf[64];
	get("conmon.pid", buf, sizeof buf);
	int mon = atoi(buf);
	CHECK(mon > 0);
	for (int i = 0; i < 200 && mon > 0 && kill(mon, 0) == 0; i++)
		usleep(50 * 1000);
	CHECK(mon > 0 && kill(mon, 0) < 0);
}

static bool file_has(const char *name, const char *text)
{
	static char buf[65536];
	get(name, buf, sizeof buf);
	return strstr(buf, text) != NULL;
}

/* Issue 12: a daemon that cannot start at all (it exits at once, twice) still fails a create
 * whose runtime succeeded, with a message, and soon (not at the 8 s hand-over deadline); the
 * container is killed and no exit file is written. */
static void test_daemon_exits_at_once(void)
{
	char record[4096], want[256];
	int rc;
	int64_t ms;
	put_ok_runtime();
	jshimd = "/bin/false";
	run_ex("", "rtok", record, sizeof record, &rc, &ms, NULL);
	snprintf(want, sizeof want, "{\"data\": -1, \"message\": \"jshim: the daemon /bin/false exited right after "
		 "it was started, twice (see jshimd.log next to %s/d/s)\"}\n", dir);
	CHECK_STR(record, want);
	CHECK(ms < 3000);
	if (ms >= 3000)
		fprintf(stderr, "the failure took %lld ms\n", (long long)ms);
	int pid = pidfile_pid();
	CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH); /* killed and reaped */
	CHECK(!exists("exits/cid0123456789abc"));
	wait_monitor_gone();
	CHECK(exists("exitcmd.ran"));
}

/* Issue 12: a daemon that is starting (alive past the viable window, never READY here): the
 * pid is reported without waiting for it; the container's exit status is kept and, with no daemon, written
 * by the launcher's fallback, exactly once. */
static void test_early_report(void)
{
	char record[4096], want[160], buf[64];
	int rc, sync = -1;
	int64_t ms;
	put_ok_runtime();
	put("slowd", "#!/bin/sh\nexec sleep 4\n", 0755);
	char slow[128];
	snprintf(slow, sizeof slow, "%s/slowd", dir);
	jshimd = slow;
	more_env[0] = "JSHIM_DAEMON_TIMEOUT=3";
	more_env[1] = "JSHIM_FALLBACK_SECONDS=1";
	run_ex("", "rtok", record, sizeof record, &rc, &ms, &sync);
	more_env[0] = more_env[1] = NULL;
	int pid = pidfile_pid();
	snprintf(want, sizeof want, "{\"data\": %d}\n", pid);
	CHECK_STR(record, want);
	CHECK(ms < 2500); /* a sleeping daemon is taken as starting after 1 s: not its 4 s */
	if (ms >= 2500)
		fprintf(stderr, "the early report took %lld ms\n", (long long)ms);
	char c;
	struct pollfd pfd = { sync, POLLIN, 0 };
	CHECK(poll(&pfd, 1, 5000) == 1 && recv(sync, &c, 1, 0) == 0); /* closed after the pid */
	close(sync);
	CHECK(pid > 0 && kill(pid, SIGTERM) == 0);
	for (int i = 0; i < 200 && !exists("exits/cid0123456789abc"); i++)
		usleep(50 * 1000);
	get("exits/cid0123456789abc", buf, sizeof buf);
	CHECK_STR(buf, "143");
	CHECK(file_has("d/launcher.log", "before the daemon is READY (daemon starting)"));
	CHECK(file_has("d/launcher.log", "wrote the exit file"));
	wait_monitor_gone();
	CHECK(exists("exitcmd.ran"));
	snprintf(want, sizeof want, "%s/exits/cid0123456789abc", dir);
	unlink(want);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_conmon_launch JSHIM\n");
		return 2;
	}
	jshim = argv[1];
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "/tmp/jshim-test-conmon-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	char sub[128];
	snprintf(sub, sizeof sub, "%s/exits", dir);
	mkdir(sub, 0700);
	test_failed_create();
	test_silent_runtime_and_terminal();
	test_exec_attach();
	test_daemon_exits_at_once();
	test_early_report();
	snprintf(sub, sizeof sub, "rm -rf '%s'", dir);
	if (check_failures == 0 && system(sub) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_result("test_conmon_launch");
}
