/* pty_run.c: runs a command on a new pseudo-terminal of a given size, the way a user's terminal
 * would (new session, the pty as controlling terminal and stdio), for the -t e2e tests and the
 * tty bench. The pty's output is copied to our stdout as it is (\r\n and all).
 *
 *   pty-run [--rows R] [--cols C] [--keys FIFO] [--resize FILE] [--raw]
 *           [--rtt N [--rtt-after TEXT] [--rtt-exit]] -- command [args...]
 *
 *   --keys FIFO    bytes written into FIFO are typed on the terminal (opened O_RDWR: never EOF)
 *   --resize FILE  on SIGUSR1, "<rows> <cols>" is read from FILE and set on the pty (TIOCSWINSZ:
 *                  the foreground process group gets SIGWINCH)
 *   --raw          the pty starts in raw mode (no local echo)
 *   --rtt N        once TEXT has been seen in the output (without --rtt-after: once a 'Z' typed
 *                  every 200 ms came back), types N single bytes one at a time and waits for each
 *                  to come back; prints "rtt_us n=N median=M p90=P min=A max=B" on stderr, then
 *                  goes on as usual
 *   --rtt-exit     exit right after the --rtt report (closing the pty hangs the command up)
 * Exits with the command's exit code (128+signal), after the pty's output reached EOF/EIO
 * (at most 5 s after the command exited). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1;
static char seen[8192]; /* output tail, for --rtt-after */
static size_t seen_len;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			poll(&pfd, 1, 100);
			continue;
		}
		if (w < 0) {
			fprintf(stderr, "pty-run: write fd %d: %s\n", fd, strerror(errno));
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void remember(const char *p, size_t n)
{
	if (n >= sizeof seen) {
		p += n - (sizeof seen - 1);
		n = sizeof seen - 1;
	}
	if (seen_len + n >= sizeof seen) {
		size_t drop = seen_len + n - (sizeof seen - 1);
		memmove(seen, seen + drop, seen_len - drop);
		seen_len -= drop;
	}
	memcpy(seen + seen_len, p, n);
	seen_len += n;
	seen[seen_len] = '\0';
}

/* Reads the master once: >0 bytes (copied to stdout), 0 nothing now, -1 EOF/EIO. */
static ssize_t pump_master(char *last, size_t cap)
{
	char buf[65536];
	ssize_t n = read(master, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	write_all(1, buf, (size_t)n);
	remember(buf, (size_t)n);
	if (last != NULL && cap > 0)
		memcpy(last, buf, (size_t)n < cap ? (size_t)n : cap);
	return n;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Types n single bytes, each after the previous one came back. */
static void rtt(int n)
{
	long long *s = calloc((size_t)n, sizeof *s);
	int done = 0;
	for (int i = 0; i < n; i++) {
		char c = (char)('a' + i % 26);
		seen_len = 0;
		long long t0 = now_us();
		write_all(master, &c, 1);
		for (;;) {
			struct pollfd pfd = { master, POLLIN, 0 };
			if (poll(&pfd, 1, 5000) <= 0) {
				fprintf(stderr, "pty-run: byte %d ('%c') did not come back within 5 s\n", i, c);
				goto out;
			}
			if (pump_master(NULL, 0) < 0)
				goto out;
			if (memchr(seen, c, seen_len) != NULL)
				break;
		}
		s[done++] = now_us() - t0;
	}
out:
	if (done > 0) {
		qsort(s, (size_t)done, sizeof *s, cmp_ll);
		fprintf(stderr, "rtt_us n=%d median=%lld p90=%lld min=%lld max=%lld\n", done, s[done / 2],
			s[done * 9 / 10], s[0], s[done - 1]);
	}
	free(s);
}

static void resize_from(const char *file)
{
	FILE *f = fopen(file, "r");
	unsigned rows, cols;
	if (f == NULL || fscanf(f, "%u %u", &rows, &cols) != 2) {
		fprintf(stderr, "pty-run: cannot read a size from %s\n", file);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		fprintf(stderr, "pty-run: TIOCSWINSZ: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	const char *keys = NULL, *resize = NULL, *rtt_after = NULL;
	int raw = 0, rtt_n = 0, rtt_exit = 0, i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--raw") == 0) {
			raw = 1;
			continue;
		}
		if (strcmp(argv[i], "--rtt-exit") == 0) {
			rtt_exit = 1;
			continue;
		}
		if (v == NULL)
			break;
		if (strcmp(argv[i], "--rows") == 0)
			ws.ws_row = (unsigned short)atoi(v);
		else if (strcmp(argv[i], "--cols") == 0)
			ws.ws_col = (unsigned short)atoi(v);
		else if (strcmp(argv[i], "--keys") == 0)
			keys = v;
		else if (strcmp(argv[i], "--resize") == 0)
			resize = v;
		else if (strcmp(argv[i], "--rtt") == 0)
			rtt_n = atoi(v);
		else if (strcmp(argv[i], "--rtt-after") == 0)
			rtt_after = v;
		else
			break;
		i++;
	}
	if (i + 1 >= argc || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: pty-run [--rows R] [--cols C] [--keys FIFO] [--resize FILE] [--raw] "
				"[--rtt N [--rtt-after TEXT] [--rtt-exit]] -- command [args...]\n");
		return 2;
	}
	int slave;
	if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
		fprintf(stderr, "pty-run: openpty: %s\n", strerror(errno));
		return 2;
	}
	if (raw) {
		struct termios t;
		tcgetattr(slave, &t);
		cfmakeraw(&t);
		tcsetattr(slave, TCSANOW, &t);
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		for (int fd = 0; fd < 3; fd++)
			dup2(slave, fd);
		if (slave > 2)
			close(slave);
		close(master);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "pty-run: exec %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	close(slave);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int kfd = keys ? open(keys, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;
	if (keys && kfd < 0)
		fprintf(stderr, "pty-run: open %s: %s\n", keys, strerror(errno));
	fcntl(master, F_SETFL, O_NONBLOCK);
	int status = -1, master_done = 0;
	long long exited_at = 0, probe_at = 0;
	while (!master_done || status < 0) {
		if (status >= 0 && now_us() - exited_at > 5000000)
			break;
		struct pollfd pfd[3] = { { master_done ? -1 : master, POLLIN, 0 }, { kfd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		poll(pfd, 3, 100);
		if (!master_done && pump_master(NULL, 0) < 0)
			master_done = 1;
		if (rtt_n > 0 && rtt_after == NULL && now_us() - probe_at > 200000) {
			write_all(master, "Z", 1); /* the echo path is up once a Z comes back */
			probe_at = now_us();
		}
		if (rtt_n > 0 && strstr(seen, rtt_after ? rtt_after : "Z") != NULL) {
			rtt(rtt_n);
			rtt_n = 0;
			if (rtt_exit)
				return 0;
		}
		if (kfd >= 0 && (pfd[1].revents & POLLIN)) {
			char buf[4096];
			ssize_t n = read(kfd, buf, sizeof buf);
			if (n > 0 && !master_done)
				write_all(master, buf, (size_t)n);
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGUSR1 && resize != NULL)
				resize_from(resize);
		}
		int st;
		if (status < 0 && waitpid(pid, &st, WNOHANG) == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			exited_at = now_us();
		}
	}
	return status < 0 ? 125 : status;
}
