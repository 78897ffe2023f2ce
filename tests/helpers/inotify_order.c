/*
 * inotify-order: report file events of several directories in the order the kernel saw them,
 * for the CRI-O e2e tests (the exit files' order, crio-conmon.md 4.6 and 6 "Exit").
 *
 *   inotify-order --until INDEX NAME [--timeout-ms MS] DIR...
 *
 * One inotify instance watches every DIR (one queue, so events of different directories keep
 * their order). Prints "ready" once the watches exist, then one line per event:
 * "<dir index> <CREATE|MOVED_TO|CLOSE_WRITE|MODIFY|DELETE|MOVED_FROM> <name>", and exits 0
 * after a CREATE or MOVED_TO of NAME in DIR number INDEX (0-based), 1 on timeout
 * (default 60 s), 125 on an error.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#define MAX_DIRS 8

static const struct {
	unsigned mask;
	const char *name;
} kinds[] = {
	{IN_CREATE, "CREATE"},	       {IN_MOVED_TO, "MOVED_TO"}, {IN_CLOSE_WRITE, "CLOSE_WRITE"},
	{IN_MODIFY, "MODIFY"},	       {IN_DELETE, "DELETE"},	  {IN_MOVED_FROM, "MOVED_FROM"},
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	int wd[MAX_DIRS], ndirs = 0, until_index = -1, i;
	const char *until_name = NULL;
	long timeout_ms = 60000;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--until") == 0 && i + 2 < argc) {
			until_index = atoi(argv[++i]);
			until_name = argv[++i];
		} else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
			timeout_ms = atol(argv[++i]);
		} else {
			break;
		}
	}
	if (until_name == NULL || i >= argc || argc - i > MAX_DIRS) {
		fprintf(stderr, "usage: inotify-order --until INDEX NAME [--timeout-ms MS] DIR...\n");
		return 125;
	}
	int fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "inotify-order: inotify_init1: %s\n", strerror(errno));
		return 125;
	}
	unsigned mask = 0;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		mask |= kinds[k].mask;
	for (; i < argc; i++, ndirs++) {
		wd[ndirs] = inotify_add_watch(fd, argv[i], mask | IN_ONLYDIR);
		if (wd[ndirs] < 0) {
			fprintf(stderr, "inotify-order: inotify_add_watch %s: %s\n", argv[i], strerror(errno));
			return 125;
		}
	}
	printf("ready\n");
	fflush(stdout);
	long deadline = now_ms() + timeout_ms;
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0) {
			printf("timeout\n");
			return 1;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "inotify-order: read: %s\n", strerror(errno));
			return 125;
		}
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			int idx = -1;
			for (int d = 0; d < ndirs; d++)
				if (wd[d] == ev->wd)
					idx = d;
			const char *name = ev->len > 0 ? ev->name : "";
			for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
				if (ev->mask & kinds[k].mask)
					printf("%d %s %s\n", idx, kinds[k].name, name);
			fflush(stdout);
			if (idx == until_index && strcmp(name, until_name) == 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
				return 0;
			q += sizeof(struct inotify_event) + ev->len;
		}
	}
}
