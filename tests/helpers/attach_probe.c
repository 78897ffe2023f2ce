/*
 * attach-probe: one attach session the way conman opens it, for the upgrade test.
 *
 *   attach-probe SOCKET LINE EXPECT TIMEOUT_MS
 *
 * Connects to the shimmy attach socket SOCKET (SOCK_STREAM; retried until TIMEOUT_MS while
 * nobody listens, e.g. during a daemon restart), sends LINE plus a newline as the container's
 * input, then reads frames (each read is one frame: byte 0 the stream, 1 stdout or 2 stderr,
 * then the payload) until the stdout payload contains EXPECT. Prints the stdout it got.
 * Exit 0 when EXPECT was seen, 1 on EOF or timeout, 2 on a bad frame or usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int connect_until(const char *path, long deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "attach-probe: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("attach-probe: socket");
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		int err = errno;
		close(fd);
		if (now_ms() >= deadline) {
			fprintf(stderr, "attach-probe: connect %s: %s\n", path, strerror(err));
			return -1;
		}
		usleep(50 * 1000);
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fputs("usage: attach-probe SOCKET LINE EXPECT TIMEOUT_MS\n", stderr);
		return 2;
	}
	long deadline = now_ms() + atol(argv[4]);
	int fd = connect_until(argv[1], deadline);
	if (fd < 0)
		return 1;
	size_t llen = strlen(argv[2]);
	char *line = malloc(llen + 2);
	if (line == NULL)
		return 2;
	memcpy(line, argv[2], llen);
	line[llen++] = '\n';
	for (size_t off = 0; off < llen;) {
		ssize_t n = write(fd, line + off, llen - off);
		if (n < 0) {
			perror("attach-probe: write");
			return 1;
		}
		off += (size_t)n;
	}
	free(line);

	size_t cap = 1 << 20, used = 0;
	char *out = calloc(1, cap + 1);
	static char buf[32769];
	if (out == NULL)
		return 2;
	while (strstr(out, argv[3]) == NULL) {
		long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			fprintf(stderr, "attach-probe: no '%s' within %s ms; stdout so far: %s\n", argv[3], argv[4], out);
			return 1;
		}
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "attach-probe: %s before '%s'; stdout so far: %s\n",
				n == 0 ? "EOF" : strerror(errno), argv[3], out);
			return 1;
		}
		if (buf[0] != 1 && buf[0] != 2) {
			fprintf(stderr, "attach-probe: frame of unknown type %d\n", buf[0]);
			return 2;
		}
		if (buf[0] == 1) {
			size_t take = (size_t)n - 1;
			if (take > cap - used)
				take = cap - used;
			memcpy(out + used, buf + 1, take);
			used += take;
			out[used] = '\0';
		}
	}
	fputs(out, stdout);
	close(fd);
	return 0;
}
