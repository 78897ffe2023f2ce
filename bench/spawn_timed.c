/*
 * spawn_timed.c: the benchmark's process helper (built by bench/run.sh, not by CMake).
 *
 *   spawn_timed run [-p FD | -q FD] [-t FD] [-o FILE] [-T SECS] -- CMD [ARG...]
 *     Runs CMD with stdin /dev/null and stdout+stderr appended to FILE (default /dev/null).
 *     -p FD  the child gets a pipe's write end at FD; the report is read to EOF (shimmy).
 *     -q FD  the child gets a SOCK_SEQPACKET socketpair end at FD; the report is the first
 *            record (conmon's _OCI_SYNCPIPE; the env var itself is set by the caller).
 *     -t FD  a SEQPACKET start pipe at FD; one "\0" is written right after the fork
 *            (conmon's _OCI_STARTPIPE).
 *     Without -p/-q the command is timed until it exits (bare `runc create`).
 *     Clock: CLOCK_MONOTONIC, read just before fork(). Prints one line on stdout:
 *       <report_us> <exit_us> <exit_code> <report, newlines turned into spaces>
 *     report_us is when the report was complete (= exit_us without -p/-q), exit_us when the
 *     command itself exited; exit_code is its exit status, or 128+signal. Exit status 0,
 *     or 2 on a timeout (default 30 s) or a failed syscall.
 *
 *   spawn_timed reap -l LOG -- CMD [ARG...]
 *     Becomes a child subreaper and runs CMD. Every process it reaps (CMD and every orphan
 *     below it: shim monitors, conmon daemons, jshimd, container inits) is first looked at
 *     as a zombie, and "<pid> <utime_ticks> <stime_ticks> <comm>" from /proc/PID/stat is
 *     appended to LOG: the process's own CPU time, without its children. When CMD exits,
 *     any process still parented here is a stray: it is named on stderr, SIGKILLed and
 *     reaped. Exits with CMD's status (1 if there were strays and CMD succeeded).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define REPORT_MAX 65536

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define cleanup_fd __attribute__((cleanup(closep)))

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fail(const char *what, const char *obj)
{
	int err = errno;

	fprintf(stderr, "spawn_timed: %s %s: %s\n", what, obj, strerror(err));
	return -err;
}

/* In the child: put fd at number target without CLOEXEC. */
static int place_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static int code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

struct run_opts {
	int sync_fd;     /* -1: none */
	int seqpacket;   /* sync channel kind */
	int start_fd;    /* -1: none */
	const char *out; /* child stdout+stderr */
	int timeout_s;
};

static void child_exec(const struct run_opts *o, int sync_w, int start_r, char **argv)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(o->out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	if (sync_w >= 0 && place_fd(sync_w, o->sync_fd) < 0)
		_exit(126);
	if (start_r >= 0 && place_fd(start_r, o->start_fd) < 0)
		_exit(126);
	execv(argv[0], argv);
	fprintf(stderr, "spawn_timed: execv %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int cmd_run(const struct run_opts *o, char **argv)
{
	static char report[REPORT_MAX + 1];
	int sp[2] = { -1, -1 }, st[2] = { -1, -1 };
	cleanup_fd int rd = -1;
	cleanup_fd int start_w = -1;
	cleanup_fd int pidfd = -1;
	size_t len = 0;
	int status = 0, have_report = o->sync_fd < 0, exited = 0;
	long long t0, t_report = 0, t_exit = 0;

	if (o->sync_fd >= 0) {
		int r = o->seqpacket ? socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)
				     : pipe2(sp, O_CLOEXEC);
		if (r < 0)
			return fail(o->seqpacket ? "socketpair" : "pipe2", "sync pipe");
		rd = sp[0];
	}
	if (o->start_fd >= 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, st) < 0)
			return fail("socketpair", "start pipe");
		start_w = st[0];
	}
	t0 = now_us();
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork", argv[0]);
	if (pid == 0)
		child_exec(o, sp[1], st[1], argv);
	if (sp[1] >= 0)
		close(sp[1]);
	if (st[1] >= 0)
		close(st[1]);
	if (start_w >= 0 && write(start_w, "", 1) != 1)
		return fail("write", "start pipe");
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return fail("pidfd_open", argv[0]);

	long long deadline = t0 + (long long)o->timeout_s * 1000000;
	while (!have_report || !exited) {
		struct pollfd p[2] = { { .fd = exited ? -1 : pidfd, .events = POLLIN },
				       { .fd = have_report ? -1 : rd, .events = POLLIN } };
		long long left = deadline - now_us();
		if (left <= 0) {
			printf("-1 -1 -1 TIMEOUT after %d s (report %s, command %s)\n", o->timeout_s,
			       have_report ? "read" : "missing", exited ? "exited" : "running");
			if (!exited)
				kill(pid, SIGKILL);
			return -ETIMEDOUT;
		}
		int n = poll(p, 2, (int)(left / 1000) + 1);
		if (n < 0 && errno != EINTR)
			return fail("poll", "sync pipe and pidfd");
		if (n <= 0)
			continue;
		if (p[1].revents) {
			ssize_t r = read(rd, report + len, REPORT_MAX - len);
			if (r < 0 && errno != EINTR)
				return fail("read", "sync pipe");
			if (r > 0)
				len += (size_t)r;
			if (r == 0 || (r > 0 && (o->seqpacket || len == REPORT_MAX))) {
				have_report = 1;
				t_report = now_us();
			}
		}
		if (p[0].revents) {
			if (waitpid(pid, &status, 0) < 0)
				return fail("waitpid", argv[0]);
			exited = 1;
			t_exit = now_us();
		}
	}
	if (o->sync_fd < 0)
		t_report = t_exit;
	report[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (report[i] == '\n' || report[i] == '\r' || report[i] == 0)
			report[i] = ' ';
	printf("%lld %lld %d %s\n", t_report - t0, t_exit - t0, code_of(status), report);
	return 0;
}

/* ---- reap ---- */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
	got_signal = sig;
}

static void log_zombie(FILE *log, pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	cleanup_fd int fd = -1;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (!lp || !rp)
		return;
	*rp = 0;
	/* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime(14) stime(15) */
	if (sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return;
	fprintf(log, "%d %lu %lu %s\n", (int)pid, ut, st, lp + 1);
	fflush(log);
}

/* Kills every process still parented here; returns how many there were. */
static int kill_strays(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return fail("opendir", "/proc");
	while ((e = readdir(d))) {
		char path[300], buf[4096], comm[64] = "?", state = '?';
		int ppid = 0;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(buf, sizeof buf, f)) {
			sscanf(buf, "Name:\t%63s", comm);
			sscanf(buf, "PPid:\t%d", &ppid);
			sscanf(buf, "State:\t%c", &state);
		}
		fclose(f);
		if (ppid != getpid() || state == 'Z')
			continue;
		fprintf(stderr, "spawn_timed: stray process %s (%s) left behind: killing it\n",
			e->d_name, comm);
		kill(atoi(e->d_name), SIGKILL);
		n++;
	}
	closedir(d);
	return n;
}

static int cmd_reap(const char *log_path, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int main_status = 0, main_done = 0, strays = 0;

	FILE *log = fopen(log_path, "ae");
	if (!log)
		return fail("fopen", log_path);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return fail("prctl PR_SET_CHILD_SUBREAPER", "self");
	/* a handler, not SIG_IGN: the command gets default dispositions back at exec */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pid_t main_pid = fork();
	if (main_pid < 0)
		return fail("fork", argv[0]);
	if (main_pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		fprintf(stderr, "spawn_timed: execv %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			return fail("waitid", "children");
		}
		log_zombie(log, si.si_pid);
		int status;
		if (waitpid(si.si_pid, &status, 0) < 0 && errno != EINTR)
			return fail("waitpid", "child");
		if (si.si_pid == main_pid) {
			main_status = status;
			main_done = 1;
			strays += kill_strays();
		} else if (main_done) {
			strays += kill_strays();
		}
	}
	fclose(log);
	int code = code_of(main_status);
	return code == 0 && strays ? 1 : code;
}

static int usage(void)
{
	fprintf(stderr, "usage: spawn_timed run [-p FD|-q FD] [-t FD] [-o FILE] [-T SECS] -- CMD...\n"
			"       spawn_timed reap -l LOG -- CMD...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct run_opts o = { .sync_fd = -1, .start_fd = -1, .out = "/dev/null", .timeout_s = 30 };
	const char *log = NULL;
	int c;

	if (argc < 2)
		return usage();
	const char *mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "+p:q:t:o:T:l:")) != -1) {
		switch (c) {
		case 'p': o.sync_fd = atoi(optarg); o.seqpacket = 0; break;
		case 'q': o.sync_fd = atoi(optarg); o.seqpacket = 1; break;
		case 't': o.start_fd = atoi(optarg); break;
		case 'o': o.out = optarg; break;
		case 'T': o.timeout_s = atoi(optarg); break;
		case 'l': log = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "run") == 0) {
		int r = cmd_run(&o, argv + optind);
		fflush(stdout);
		return r < 0 ? 2 : 0;
	}
	if (strcmp(mode, "reap") == 0 && log)
		return cmd_reap(log, argv + optind);
	return usage();
}
