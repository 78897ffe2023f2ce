/* sdnotify.c: the --sdnotify-socket relay. */
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define NOTIFY_DIR "notify"
#define NOTIFY_NAME "notify.sock"

size_t jshim_sdnotify_filter(const char *msg, size_t n, char *out, size_t cap)
{
	static const char *const pass[] = { "READY=1", "WATCHDOG=1" };
	size_t len = 0;
	const char *p = msg, *end = msg + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
			size_t pl = strlen(pass[i]);
			if (l == pl && memcmp(p, pass[i], pl) == 0 && len + pl + 1 <= cap) {
				if (len > 0)
					out[len++] = '\n';
				memcpy(out + len, p, pl);
				len += pl;
			}
		}
		p += l + 1;
	}
	return len;
}

static int host_address(struct jshim_sdnotify *s, const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof s->host.sun_path)
		return -ENAMETOOLONG;
	memset(&s->host, 0, sizeof s->host);
	s->host.sun_family = AF_UNIX;
	memcpy(s->host.sun_path, path, n);
	if (path[0] == '@')
		s->host.sun_path[0] = '\0'; /* abstract namespace */
	s->host_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
	return 0;
}

int jshim_sdnotify_open(struct jshim_sdnotify *s, const char *bundle, const char *host_socket,
			char *why, size_t len)
{
	char dirpath[4096];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	s->fd = -1;
	int r = host_address(s, host_socket);
	if (r < 0) {
		snprintf(why, len, "--sdnotify-socket %s: %s", host_socket, strerror(-r));
		return r;
	}
	snprintf(dirpath, sizeof dirpath, "%s/" NOTIFY_DIR, bundle);
	if (mkdir(dirpath, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, len, "mkdir %s: %s", dirpath, strerror(-r));
		return r;
	}
	cleanup_fd int dir = open(dirpath, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0) {
		r = -errno;
		snprintf(why, len, "open %s: %s", dirpath, strerror(-r));
		return r;
	}
	struct stat st;
	if (fstatat(dir, NOTIFY_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, len, "%s/" NOTIFY_NAME " exists and is not a socket", dirpath);
			return -EEXIST;
		}
		if (unlinkat(dir, NOTIFY_NAME, 0) < 0) {
			r = -errno;
			snprintf(why, len, "unlink %s/" NOTIFY_NAME ": %s", dirpath, strerror(-r));
			return r;
		}
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" NOTIFY_NAME, dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(why, len, "socket AF_UNIX SOCK_DGRAM: %s", strerror(-r));
		return r;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fchmodat(dir, NOTIFY_NAME, 0777, 0) < 0) {
		r = -errno;
		close(fd);
		snprintf(why, len, "bind %s/" NOTIFY_NAME ": %s", dirpath, strerror(-r));
		return r;
	}
	s->fd = fd;
	log_debug("sd-notify: %s/" NOTIFY_NAME " relays to %s", dirpath, host_socket);
	return 0;
}

void jshim_sdnotify_relay(struct jshim_sdnotify *s)
{
	char msg[4096], out[64];
	for (;;) {
		ssize_t n = recv(s->fd, msg, sizeof msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("sd-notify: recv: %s", strerror(errno));
			return;
		}
		size_t l = jshim_sdnotify_filter(msg, (size_t)n, out, sizeof out);
		if (l == 0)
			continue;
		if (sendto(s->fd, out, l, MSG_NOSIGNAL, (struct sockaddr *)&s->host, s->host_len) < 0)
			log_warn("sd-notify: sendto the host's socket: %s", strerror(errno));
		else
			log_info("sd-notify: relayed %.*s", (int)l, out);
	}
}

void jshim_sdnotify_close(struct jshim_sdnotify *s)
{
	jshim_close(&s->fd);
}
