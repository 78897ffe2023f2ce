/*
 * dgram-sink: binds an AF_UNIX datagram socket and records every datagram, so a test can
 * stand in for journald's /run/systemd/journal/socket (none runs on the test hosts).
 *
 *   dgram-sink PATH OUTFILE SECONDS
 *
 * Refuses to replace anything at PATH (a real journal must never be hijacked). OUTFILE gets
 * each datagram as a u32 length (host order) and its bytes, flushed at once. Ends after
 * SECONDS or at SIGTERM/SIGINT, and unlinks PATH. Exit 0, or 2 on a set-up error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: dgram-sink PATH OUTFILE SECONDS\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "dgram-sink: %s: path too long\n", argv[1]);
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	char dir[sizeof sa.sun_path];
	strcpy(dir, argv[1]);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		char cmd[sizeof dir + 16];
		snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
		if (system(cmd) != 0)
			return 2;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "dgram-sink: bind %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "dgram-sink: open %s: %s\n", argv[2], strerror(errno));
		unlink(argv[1]);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	time_t end = time(NULL) + atoi(argv[3]);
	static char buf[1 << 20];
	while (!stop && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			continue;
		uint32_t len = (uint32_t)n;
		if (write(out, &len, sizeof len) != (ssize_t)sizeof len || write(out, buf, (size_t)n) != n) {
			fprintf(stderr, "dgram-sink: write %s: %s\n", argv[2], strerror(errno));
			break;
		}
	}
	unlink(argv[1]);
	close(out);
	return 0;
}
