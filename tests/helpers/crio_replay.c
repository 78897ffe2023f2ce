/*
 * crio-replay: start a conmon-compatible monitor the way CRI-O 1.28 does, for the e2e tests
 * (/work/shared/specs/crio-conmon.md sections 1.5-1.7, 2.2-2.4 and 6).
 *
 *   crio-replay create --result FILE [--cwd DIR] [--tty] [--env VAR=VAL]...
 *                      [--read-timeout S] [--trailing-ms MS] -- ARGV...
 *   crio-replay exec   --result FILE [--env VAR=VAL]... [--sigint-when LOG TEXT]
 *                      [--read-timeout S] [--trailing-ms MS] -- ARGV...
 *
 * The environment is only PATH=<CRI-O's default>, _OCI_SYNCPIPE=3, _OCI_STARTPIPE=4 and the
 * --env entries. create: fds 3 and 4 are SOCK_STREAM socketpair ends, fds 0-2 ours (with
 * --tty fd 2 is a pipe that must reach EOF, as CRI-O's cmd.Wait requires), cwd = --cwd,
 * setpgid. exec: fd 0 /dev/null, fds 1-2 pipes (drained, must reach EOF), fd 3 the write end
 * of a pipe, fd 4 a socketpair end; no cwd, no setpgid. Both write the start byte 0x00 on fd 4,
 * wait for the spawned process to exit, THEN decode one JSON value from fd 3 (streaming,
 * --read-timeout, default 240 s), and look --trailing-ms (default 300) for anything after it.
 * --sigint-when: SIGINT the monitor once LOG contains TEXT (CRI-O 1.28.11's stop).
 * --cgroup DIR (repeatable): before the start byte, write the spawned pid to DIR/cgroup.procs
 * (CRI-O's cgroupfs manager moves it into <pod>/crio-conmon-<id>, spec 5.3).
 * --start-delay-ms: wait that long before the start byte (CRI-O moves the process into its
 * cgroup meanwhile) and record which of the bundle's files exist then (before_start) and
 * whether the spawned process is still alive (alive_before_start).
 *
 * FILE gets one flat JSON object: exit (code, or 128+signal), wait_ms (start byte to exit),
 * pid (of the spawned process), value (the raw first JSON value, "" if none), value_error,
 * trailing (bytes after it), trailing_eof (1 if fd 3 reached EOF), out/err (exec: fds 1/2;
 * create --tty: err = fd 2), out_eof/err_eof, sigint_sent, before_start, alive_before_start.
 * Exit code 0, 125 on a harness error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crio_replay_util.h"

#define MAX_ENV 16
#define MAX_CGROUPS 16

struct opts {
	int exec_mode, tty;
	const char *result, *cwd, *sigint_log, *sigint_text;
	char *env[MAX_ENV + 4];
	int nenv;
	const char *cgroups[MAX_CGROUPS];
	int ncgroups;
	long read_timeout_s, trailing_ms, start_delay_ms;
	char **argv;
};





static int usage(void)
{
	fprintf(stderr, "usage: crio-replay create|exec --result FILE [options] -- ARGV...\n");
	return 125;
}

static int parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->read_timeout_s = 240;
	o->trailing_ms = 300;
	o->env[o->nenv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	o->env[o->nenv++] = "_OCI_SYNCPIPE=3";
	o->env[o->nenv++] = "_OCI_STARTPIPE=4";
	if (argc < 2)
		return -1;
	if (strcmp(argv[1], "exec") == 0)
		o->exec_mode = 1;
	else if (strcmp(argv[1], "create") != 0)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			o->argv = &argv[i + 1];
			break;
		} else if (strcmp(a, "--tty") == 0) {
			o->tty = 1;
		} else if (i + 1 >= argc) {
			return -1;
		} else if (strcmp(a, "--result") == 0) {
			o->result = argv[++i];
		} else if (strcmp(a, "--cwd") == 0) {
			o->cwd = argv[++i];
		} else if (strcmp(a, "--env") == 0) {
			if (o->nenv >= MAX_ENV)
				return -1;
			o->env[o->nenv++] = argv[++i];
		} else if (strcmp(a, "--read-timeout") == 0) {
			o->read_timeout_s = atol(argv[++i]);
		} else if (strcmp(a, "--cgroup") == 0) {
			if (o->ncgroups >= MAX_CGROUPS)
				return -1;
			o->cgroups[o->ncgroups++] = argv[++i];
		} else if (strcmp(a, "--start-delay-ms") == 0) {
			o->start_delay_ms = atol(argv[++i]);
		} else if (strcmp(a, "--trailing-ms") == 0) {
			o->trailing_ms = atol(argv[++i]);
		} else if (strcmp(a, "--sigint-when") == 0 && i + 2 < argc) {
			o->sigint_log = argv[++i];
			o->sigint_text = argv[++i];
		} else {
			return -1;
		}
	}
	return o->result != NULL && o->argv != NULL && o->argv[0] != NULL ? 0 : -1;
}

/* Puts fd on target without CLOEXEC (fd may already be target's number: move it first). */
static void place(int fd, int target)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	if (high < 0 || dup2(high, target) < 0) {
		perror("crio-replay: child dup2");
		_exit(127);
	}
}

static void __attribute__((noreturn)) child(const struct opts *o, int in, int out, int err, int sync_fd,
					     int start_fd)
{
	if (!o->exec_mode && setpgid(0, 0) < 0) {
		perror("crio-replay: setpgid");
		_exit(127);
	}
	if (o->cwd != NULL && chdir(o->cwd) < 0) {
		perror("crio-replay: chdir");
		_exit(127);
	}
	/* move all five out of the way first, then place them */
	int fds[5] = {in, out, err, sync_fd, start_fd};
	for (int i = 0; i < 5; i++) {
		if (fds[i] >= 0) {
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 30 + i);
			if (fds[i] < 0) {
				perror("crio-replay: child F_DUPFD");
				_exit(127);
			}
		}
	}
	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			place(fds[i], i);
	if (close_range(5, UINT_MAX, 0) < 0) {
		perror("crio-replay: close_range");
		_exit(127);
	}
	extern char **environ;
	environ = (char **)o->env;
	execv(o->argv[0], o->argv);
	perror("crio-replay: execv");
	_exit(127);
}


struct sync_result {
	struct buf value, trailing;
	const char *error;
	int trailing_eof;
};

static void read_sync(int fd, const struct opts *o, struct sync_result *r)
{
	struct buf all = {0};
	long deadline = now_ms() + o->read_timeout_s * 1000L;
	size_t end = 0;
	int bad = 0, eof = 0;
	while (end == 0 && !bad && !eof) {
		long left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0) {
			r->error = "timeout";
			return;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			die("poll sync fd");
		if (p.revents != 0)
			eof = drain(fd, &all);
		if (all.len > 0)
			end = json_end(all.data, all.len, &bad);
	}
	if (end == 0) {
		r->error = bad ? "not a JSON object" : "EOF";
		r->trailing = all;
		r->trailing_eof = eof;
		return;
	}
	buf_add(&r->value, all.data, end);
	buf_add(&r->trailing, all.data + end, all.len - end);
	r->trailing_eof = eof;
	for (long stop = now_ms() + o->trailing_ms; !r->trailing_eof && now_ms() < stop;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, (int)(stop - now_ms() > 0 ? stop - now_ms() : 0));
		if (n > 0)
			r->trailing_eof = drain(fd, &r->trailing);
	}
	free(all.data);
}



int main(int argc, char **argv)
{
	struct opts o;
	struct sync_result sr = {0};
	struct buf out = {0}, err = {0};
	int sync_pair[2], start_pair[2], outp[2] = {-1, -1}, errp[2] = {-1, -1};
	int status = 0, out_eof = 1, err_eof = 1, sigint_sent = 0;

	if (parse(argc, argv, &o) < 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (o.exec_mode ? pipe2(sync_pair, O_CLOEXEC) : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_pair))
		die("sync fd");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, start_pair) < 0)
		die("socketpair start");
	if ((o.exec_mode || o.tty) && pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe stderr");
	if (o.exec_mode && pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe stdout");
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		die("open /dev/null");
	/* create: the sync socket's child end is [1]; exec: the pipe's write end is [1] too */
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		child(&o, o.exec_mode ? devnull : 0, o.exec_mode ? outp[1] : 1, errp[1] >= 0 ? errp[1] : 2,
		      sync_pair[1], start_pair[1]);
	close(sync_pair[1]);
	close(start_pair[1]);
	close(devnull);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	out_eof = outp[0] < 0;
	err_eof = errp[0] < 0;
	for (int k = 0; k < o.ncgroups; k++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/cgroup.procs", o.cgroups[k]);
		FILE *cg = fopen(path, "we");
		if (cg == NULL || fprintf(cg, "%d\n", (int)pid) < 0 || fclose(cg) != 0)
			die("move %d into %s", (int)pid, path);
	}
	struct buf before = {0};
	int alive_before = -1, reaped = 0;
	if (o.start_delay_ms > 0) {
		static const char *const names[] = {"conmon-pidfile", "pidfile", "attach", "ctl", "winsz"};
		char path[PATH_MAX];
		usleep((useconds_t)o.start_delay_ms * 1000);
		pid_t wr = waitpid(pid, &status, WNOHANG);
		alive_before = wr == 0;
		reaped = wr == pid;
		for (size_t k = 0; o.cwd != NULL && k < sizeof names / sizeof names[0]; k++) {
			snprintf(path, sizeof path, "%s/%s", o.cwd, names[k]);
			if (access(path, F_OK) == 0) {
				buf_add(&before, names[k], strlen(names[k]));
				buf_add(&before, " ", 1);
			}
		}
	}
	if (write(start_pair[0], "\0", 1) != 1)
		die("write start byte");
	long t0 = now_ms();
	long wait_ms = -1;
	/* wait for the process, draining fds 1/2 meanwhile (Go copies them concurrently) */
	for (;;) {
		pid_t w = reaped ? pid : waitpid(pid, &status, WNOHANG);
		if (w < 0 && errno != EINTR)
			die("waitpid");
		if (w == pid) {
			wait_ms = now_ms() - t0;
			break;
		}
		struct pollfd p[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
		if (poll(p, 2, 10) > 0) {
			if (!out_eof && p[0].revents)
				out_eof = drain(outp[0], &out);
			if (!err_eof && p[1].revents)
				err_eof = drain(errp[0], &err);
		}
		if (o.sigint_log != NULL && !sigint_sent && log_contains(o.sigint_log, o.sigint_text)) {
			if (kill(pid, SIGINT) < 0)
				die("kill SIGINT %d", (int)pid);
			sigint_sent = 1;
		}
	}
	/* cmd.Wait also waits for EOF on the pipes: bounded here, reported */
	for (long stop = now_ms() + 10000; (!out_eof || !err_eof) && now_ms() < stop;) {
		struct pollfd p[2] = {{.fd = out_eof ? -1 : outp[0], .events = POLLIN},
				      {.fd = err_eof ? -1 : errp[0], .events = POLLIN}};
		if (poll(p, 2, 100) > 0) {
			if (p[0].revents)
				out_eof = drain(outp[0], &out);
			if (p[1].revents)
				err_eof = drain(errp[0], &err);
		}
	}
	read_sync(sync_pair[0], &o, &sr);
	close(sync_pair[0]);
	close(start_pair[0]);

	FILE *f = fopen(o.result, "we");
	if (f == NULL)
		die("open %s", o.result);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	struct buf e = {0};
	if (sr.error != NULL)
		buf_add(&e, sr.error, strlen(sr.error));
	fprintf(f, "{\"exit\": %d, \"wait_ms\": %ld, \"pid\": %d, ", code, wait_ms, (int)pid);
	put_str(f, "value", &sr.value, 1);
	put_str(f, "value_error", &e, 1);
	put_str(f, "trailing", &sr.trailing, 1);
	fprintf(f, "\"trailing_eof\": %d, ", sr.trailing_eof);
	put_str(f, "out", &out, 1);
	put_str(f, "err", &err, 1);
	put_str(f, "before_start", &before, 1);
	fprintf(f, "\"alive_before_start\": %d, ", alive_before);
	fprintf(f, "\"out_eof\": %d, \"err_eof\": %d, \"sigint_sent\": %d}\n", out_eof, err_eof, sigint_sent);
	if (fclose(f) != 0)
		die("close %s", o.result);
	return 0;
}
