/* console.c: the console socket of -t and the receipt of the pty master. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define NAME_MAX_BYTES 4096
#define RECV_MS 5000

/* "<dir>/jshim-term.<16 hex>" into c->path; -ENAMETOOLONG if it does not fit sun_path. */
static int make_name(struct jshim_console *c, const char *dir)
{
	uint64_t rnd;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		return errno ? -errno : -EIO;
	int n = snprintf(c->path, sizeof c->path, "%s/jshim-term.%016llx", dir, (unsigned long long)rnd);
	if (n < 0 || (size_t)n >= sizeof c->path) {
		c->path[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

static int bind_listen(struct jshim_console *c, const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = -EADDRINUSE;
	for (int tries = 0; tries < 8 && r == -EADDRINUSE; tries++) {
		if ((r = make_name(c, dir)) < 0)
			return r;
		memcpy(sa.sun_path, c->path, sizeof sa.sun_path);
		r = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : -errno;
	}
	if (r < 0) {
		log_debug("bind console socket %s: %s", c->path, strerror(-r));
		c->path[0] = '\0';
		return r;
	}
	/* the fchmod before bind sets the mode; chmod again in case the kernel applied the umask */
	if (chmod(c->path, 0700) < 0 || listen(c->listen_fd, 128) < 0) {
		r = -errno;
		log_error("chmod/listen console socket %s: %s", c->path, strerror(-r));
		unlink(c->path);
		c->path[0] = '\0';
		return r;
	}
	return 0;
}

int jshim_console_listen(struct jshim_console *c)
{
	c->path[0] = '\0';
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		int e = errno;
		log_error("socket (console socket): %s", strerror(e));
		return -e;
	}
	if (fchmod(c->listen_fd, 0700) < 0) {
		int e = errno;
		log_error("fchmod console socket: %s", strerror(e));
		jshim_close(&c->listen_fd);
		return -e;
	}
	const char *tmp = getenv("TMPDIR");
	int r = -ENOENT;
	if (tmp != NULL && tmp[0] == '/')
		r = bind_listen(c, tmp);
	if (r < 0)
		r = bind_listen(c, "/tmp");
	if (r < 0) {
		log_error("console socket in %s or /tmp: %s", tmp ? tmp : "$TMPDIR (unset)", strerror(-r));
		jshim_close(&c->listen_fd);
		return r;
	}
	log_debug("console socket %s", c->path);
	return 0;
}

void jshim_console_close(struct jshim_console *c)
{
	if (c->path[0] != '\0' && unlink(c->path) < 0 && errno != ENOENT)
		log_warn("unlink console socket %s: %s", c->path, strerror(errno));
	c->path[0] = '\0';
	jshim_close(&c->listen_fd);
}

/* One message with one SCM_RIGHTS fd; any other fd that came along is closed. */
static int recv_master(int conn)
{
	char *name = malloc(NAME_MAX_BYTES + 1);
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	if (name == NULL)
		return -ENOMEM;
	struct iovec iov = { name, NAME_MAX_BYTES };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	struct pollfd pfd = { conn, POLLIN, 0 };
	int pr = poll(&pfd, 1, RECV_MS);
	do
		n = pr > 0 ? recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) : -1;
	while (n < 0 && errno == EINTR);
	int e = pr == 0 ? ETIMEDOUT : errno;
	int master = -1;
	for (struct cmsghdr *h = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; h != NULL; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
			if (master < 0)
				master = fd;
			else
				close(fd);
		}
	}
	if (n >= 0) {
		name[n] = '\0';
		log_debug("console socket: received %s fd %d", n > 0 ? name : "(no name)", master);
	}
	free(name);
	if (n < 0) {
		log_error("recvmsg console socket: %s", strerror(e));
		return -e;
	}
	if (master < 0) {
		log_error("console socket: a message without a file descriptor");
		return -EBADMSG;
	}
	return master;
}

static int prepare_master(int master)
{
	struct termios t;
	int fl;
	if (tcgetattr(master, &t) < 0) {
		int e = errno;
		log_error("tcgetattr pty master %d: %s", master, strerror(e));
		return -e;
	}
	t.c_oflag |= ONLCR;
	if (tcsetattr(master, TCSANOW, &t) < 0 || (fl = fcntl(master, F_GETFL)) < 0 ||
	    fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;
		log_error("tcsetattr ONLCR / O_NONBLOCK pty master %d: %s", master, strerror(e));
		return -e;
	}
	return 0;
}

int jshim_console_accept(struct jshim_console *c)
{
	if (c->listen_fd < 0)
		return -EBADF;
	cleanup_fd int conn = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
			return -EAGAIN;
		log_error("accept console socket %s: %s", c->path, strerror(e));
		jshim_console_close(c);
		return -e;
	}
	jshim_console_close(c); /* one connection only: unlink the path, close the listener */
	int master = recv_master(conn);
	if (master < 0)
		return master;
	int r = prepare_master(master);
	if (r < 0) {
		close(master);
		return r;
	}
	return master;
}
