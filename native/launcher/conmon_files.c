/* conmon_files.c: ctl/winsz FIFOs (reader + dummy writer), the attach listener bound through
 * /proc/self/fd, and the <socket-dir>/<cuuid> symlink CRI-O dials through. */
#include "conmon_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Creates the FIFO name in dirfd (replacing whatever non-directory is there) and opens its
 * reader and a dummy writer. 0 or -errno, nothing left open on failure. */
static int open_fifo(int dirfd, const char *name, int *r, int *w)
{
	if (mkfifoat(dirfd, name, 0660) < 0) {
		if (errno != EEXIST) {
			int e = errno;
			log_error("mkfifoat %s: %s", name, strerror(e));
			return -e;
		}
		/* unlinkat removes a symlink itself, never its target */
		if (unlinkat(dirfd, name, 0) < 0 || mkfifoat(dirfd, name, 0660) < 0) {
			int e = errno;
			log_error("replace fifo %s: %s", name, strerror(e));
			return -e;
		}
	}
	cleanup_fd int rd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (rd < 0) {
		int e = errno;
		log_error("open fifo %s for reading: %s", name, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(rd, &st) < 0) {
		int e = errno;
		log_error("fstat fifo %s: %s", name, strerror(e));
		return -e;
	}
	if (!S_ISFIFO(st.st_mode)) {
		log_error("fifo %s: replaced by something else", name);
		return -EEXIST;
	}
	/* the writer through the reader's fd: the very same FIFO, whatever the name points to now */
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", rd);
	int wr = open(self, O_WRONLY | O_CLOEXEC);
	if (wr < 0) {
		int e = errno;
		log_error("open fifo %s for writing: %s", name, strerror(e));
		return -e;
	}
	*r = rd;
	rd = -1;
	*w = wr;
	return 0;
}

int jshim_ctl_open(struct jshim_ctl *c, int dirfd)
{
	c->ctl_r = c->ctl_w = c->winsz_r = c->winsz_w = -1;
	c->len = 0;
	int r = open_fifo(dirfd, "ctl", &c->ctl_r, &c->ctl_w);
	if (r == 0)
		r = open_fifo(dirfd, "winsz", &c->winsz_r, &c->winsz_w);
	if (r < 0)
		jshim_ctl_close(c);
	return r;
}

void jshim_ctl_close(struct jshim_ctl *c)
{
	jshim_close(&c->ctl_r);
	jshim_close(&c->ctl_w);
	jshim_close(&c->winsz_r);
	jshim_close(&c->winsz_w);
	c->len = 0;
}

/* "<int> <int> <int>", blanks between, optional trailing blanks or '\r'. */
static int parse_line(const char *s, int v[3])
{
	for (int i = 0; i < 3; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!(*s == '-' || (*s >= '0' && *s <= '9')))
			return -EINVAL;
		char *end;
		errno = 0;
		long x = strtol(s, &end, 10);
		if (errno || end == s || x < INT_MIN || x > INT_MAX)
			return -EINVAL;
		if (i < 2 && *end != ' ' && *end != '\t')
			return -EINVAL;
		v[i] = (int)x;
		s = end;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == '\0' ? 0 : -EINVAL;
}

/* c->len == sizeof c->buf means "inside an overlong line: drop bytes up to its newline". */
void jshim_ctl_feed(struct jshim_ctl *c, const char *data, size_t n, jshim_ctl_line_fn on_line, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (c->len == sizeof c->buf) {
			/* dropping */
		} else if (take > sizeof c->buf - 1 - c->len) {
			log_warn("ctl: line longer than %zu bytes dropped", sizeof c->buf - 1);
			c->len = sizeof c->buf;
		} else {
			memcpy(c->buf + c->len, data, take);
			c->len += take;
		}
		if (nl == NULL)
			return;
		data += take + 1;
		n -= take + 1;
		if (c->len < sizeof c->buf) {
			int v[3];
			c->buf[c->len] = '\0';
			if (parse_line(c->buf, v) == 0)
				on_line(arg, v[0], v[1], v[2]);
			else
				log_warn("ctl: malformed line '%s' ignored", c->buf);
		}
		c->len = 0;
	}
}

int jshim_ctl_read(struct jshim_ctl *c, jshim_ctl_line_fn on_line, void *arg)
{
	char tmp[4096];
	for (;;) {
		ssize_t n = read(c->ctl_r, tmp, sizeof tmp);
		if (n > 0) {
			jshim_ctl_feed(c, tmp, (size_t)n, on_line, arg);
			continue;
		}
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			continue;
		int e = errno;
		log_error("read ctl fifo: %s", strerror(e));
		return -e;
	}
}

int jshim_attach_listen(int dirfd, const char *name, int type, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (name[0] == '\0' || strchr(name, '/') != NULL)
		return -EINVAL;
	int n = snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, name);
	if (n < 0 || (size_t)n >= sizeof sa.sun_path) {
		log_error("attach socket name %s too long", name);
		return -ENAMETOOLONG;
	}
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("attach socket %s: something else is there", name);
			return -EEXIST;
		}
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
			int e = errno;
			log_error("unlink stale attach socket %s: %s", name, strerror(e));
			return -e;
		}
	} else if (errno != ENOENT) {
		int e = errno;
		log_error("stat attach socket %s: %s", name, strerror(e));
		return -e;
	}
	cleanup_fd int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		log_error("socket (attach %s): %s", name, strerror(e));
		return -e;
	}
	if (fchmod(fd, 0700) < 0) {
		int e = errno;
		log_error("fchmod attach socket %s: %s", name, strerror(e));
		return -e;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		log_error("bind %s: %s", sa.sun_path, strerror(e));
		return -e;
	}
	const char *what = "fchmodat";
	if (fchmodat(dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0) {
		what = "listen";
		if (listen(fd, backlog) == 0) {
			int r = fd;
			fd = -1;
			return r;
		}
	}
	int e = errno;
	log_error("%s attach socket %s: %s", what, name, strerror(e));
	unlinkat(dirfd, name, 0);
	return -e;
}

int jshim_open_parent(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	char dir[PATH_MAX];
	if (slash == NULL) {
		strcpy(dir, ".");
	} else {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir)
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	int fd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_error("open directory %s: %s", dir, strerror(e));
		return -e;
	}
	*name = base;
	return fd;
}

int jshim_attach_symlink(const char *socket_dir, const char *cuuid, const char *bundle, char *out, size_t len)
{
	if (cuuid[0] == '\0' || strchr(cuuid, '/') != NULL || strcmp(cuuid, ".") == 0 || strcmp(cuuid, "..") == 0)
		return -EINVAL;
	int n = snprintf(out, len, "%s/%s", socket_dir, cuuid);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (n == 107 && strlen(cuuid) > 1) /* conmon's quirk, see crio-conmon.md 3.2 */
		out[--n] = '\0';
	int r = jshim_ensure_dir(socket_dir, 0700);
	if (r < 0) {
		log_error("mkdir %s: %s", socket_dir, strerror(-r));
		return r;
	}
	if (unlink(out) < 0 && errno != ENOENT) {
		int e = errno;
		log_error("unlink old attach link %s: %s", out, strerror(e));
		return -e;
	}
	if (symlink(bundle, out) < 0) {
		int e = errno;
		log_error("symlink %s -> %s: %s", out, bundle, strerror(e));
		return -e;
	}
	return 0;
}
