/*
 * syncpipe-run: start a shim the way conman does, for the end-to-end tests.
 *
 *   syncpipe-run --report FILE [--env-only VAR=VAL]... -- ARGV...
 *
 * The child gets fd 0 = /dev/null, fds 1 and 2 inherited, fd 3 = the write end of a pipe
 * (not close-on-exec) and no other fd; its environment is the --env-only list if one was
 * given, else ours. The parent waits for the child, then reads the pipe to EOF and writes
 * exactly the bytes it read to FILE. Exit code: the child's, or 128 + signal;
 * 125 when syncpipe-run itself fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYNC_FD 3
#define MAX_ENV 64

struct options {
	const char *report;
	char *env[MAX_ENV + 1];
	int nenv;
	char **argv;
};

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define cleanup_fd __attribute__((cleanup(closep)))

static int usage(void)
{
	fprintf(stderr, "usage: syncpipe-run --report FILE [--env-only VAR=VAL]... -- ARGV...\n");
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (i + 1 >= argc)
				return usage();
			o->argv = &argv[i + 1];
			break;
		} else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
			o->report = argv[++i];
		} else if (strcmp(argv[i], "--env-only") == 0 && i + 1 < argc) {
			if (o->nenv >= MAX_ENV || strchr(argv[i + 1], '=') == NULL)
				return usage();
			o->env[o->nenv++] = argv[++i];
		} else {
			return usage();
		}
	}
	if (o->report == NULL || o->argv == NULL)
		return usage();
	return 0;
}

/* In the child: set up fds 0 and 3, close the rest, exec. Never returns. */
static void __attribute__((noreturn)) run_child(const struct options *o, int write_end)
{
	extern char **environ;
	int null_fd, high;

	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0) {
		fprintf(stderr, "syncpipe-run: open /dev/null: %s\n", strerror(errno));
		_exit(127);
	}
	/* Move the write end out of the way first, so that dup2 onto 3 always clears CLOEXEC. */
	high = fcntl(write_end, F_DUPFD_CLOEXEC, 10);
	if (high < 0) {
		fprintf(stderr, "syncpipe-run: fcntl F_DUPFD_CLOEXEC pipe: %s\n", strerror(errno));
		_exit(127);
	}
	if (dup2(null_fd, 0) < 0 || dup2(high, SYNC_FD) < 0) {
		fprintf(stderr, "syncpipe-run: dup2 stdin/sync pipe: %s\n", strerror(errno));
		_exit(127);
	}
	if (close_range(SYNC_FD + 1, UINT_MAX, 0) < 0) {
		fprintf(stderr, "syncpipe-run: close_range %d..: %s\n", SYNC_FD + 1, strerror(errno));
		_exit(127);
	}
	if (o->nenv > 0)
		environ = (char **)o->env;
	execv(o->argv[0], o->argv);
	fprintf(stderr, "syncpipe-run: execv %s: %s\n", o->argv[0], strerror(errno));
	_exit(127);
}

static int wait_child(pid_t pid, int *code)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			int ret = -errno;
			fprintf(stderr, "syncpipe-run: waitpid %d: %s\n", (int)pid, strerror(errno));
			return ret;
		}
	}
	if (WIFEXITED(status))
		*code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*code = 128 + WTERMSIG(status);
	else
		*code = 255;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			int ret = -errno;
			if (errno == EINTR)
				continue;
			fprintf(stderr, "syncpipe-run: write %s: %s\n", what, strerror(errno));
			return ret;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy the pipe to FILE until EOF. */
static int copy_report(int read_end, const char *path)
{
	cleanup_fd int out = -1;
	char buf[8192];
	int ret;

	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = -errno;
		fprintf(stderr, "syncpipe-run: open %s: %s\n", path, strerror(errno));
		return ret;
	}
	for (;;) {
		ssize_t n = read(read_end, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			fprintf(stderr, "syncpipe-run: read sync pipe: %s\n", strerror(errno));
			return ret;
		}
		if (n == 0)
			break;
		ret = write_all(out, buf, (size_t)n, path);
		if (ret < 0)
			return ret;
	}
	if (close(out) < 0) {
		ret = -errno;
		out = -1;
		fprintf(stderr, "syncpipe-run: close %s: %s\n", path, strerror(errno));
		return ret;
	}
	out = -1;
	return 0;
}

int main(int argc, char **argv)
{
	cleanup_fd int read_end = -1;
	struct options o;
	int fds[2], code = 0, ret;
	pid_t pid;

	if (parse_args(argc, argv, &o) < 0)
		return 125;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "syncpipe-run: pipe2: %s\n", strerror(errno));
		return 125;
	}
	read_end = fds[0];
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "syncpipe-run: fork: %s\n", strerror(errno));
		close(fds[1]);
		return 125;
	}
	if (pid == 0)
		run_child(&o, fds[1]);
	if (close(fds[1]) < 0) {
		fprintf(stderr, "syncpipe-run: close pipe write end: %s\n", strerror(errno));
		return 125;
	}
	ret = wait_child(pid, &code);
	if (ret < 0)
		return 125;
	ret = copy_report(read_end, o.report);
	if (ret < 0)
		return 125;
	return code;
}
