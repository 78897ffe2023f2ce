/* hello.c: protocol v2 packets on the SOCK_SEQPACKET link, one message per packet. */
#include "hello.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

ssize_t jshim_hello2_encode(void *buf, size_t cap, const struct jshim_hello2 *h,
			    const char *const strings[JSHIM_HELLO2_NSTRINGS])
{
	size_t total = sizeof(struct jshim_msg_header) + sizeof *h;
	for (int i = 0; i < JSHIM_HELLO2_NSTRINGS; i++) {
		size_t l = strings[i] ? strlen(strings[i]) : 0;
		if (l > UINT16_MAX)
			return -EMSGSIZE;
		total += 2 + l;
	}
	if (total > cap || total > JSHIM_MSG_MAX)
		return -EMSGSIZE;
	unsigned char *p = buf;
	struct jshim_msg_header hdr = { JSHIM_PROTO_VERSION, JSHIM_MSG_HELLO,
					(uint32_t)(total - sizeof hdr) };
	memcpy(p, &hdr, sizeof hdr);
	p += sizeof hdr;
	memcpy(p, h, sizeof *h);
	p += sizeof *h;
	for (int i = 0; i < JSHIM_HELLO2_NSTRINGS; i++) {
		uint16_t l = (uint16_t)(strings[i] ? strlen(strings[i]) : 0);
		memcpy(p, &l, 2);
		if (l > 0)
			memcpy(p + 2, strings[i], l);
		p += 2 + l;
	}
	return (ssize_t)total;
}

static int send_packet(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * JSHIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > JSHIM_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof ctl);
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EMSGSIZE;
		if (errno != EINTR)
			return -errno;
	}
}

int jshim_hello2_send(int sock, const struct jshim_hello2 *h,
		      const char *const strings[JSHIM_HELLO2_NSTRINGS], const int *fds)
{
	unsigned char *buf = malloc(JSHIM_MSG_MAX);
	if (buf == NULL)
		return -ENOMEM;
	ssize_t len = jshim_hello2_encode(buf, JSHIM_MSG_MAX, h, strings);
	int r = len < 0 ? (int)len : send_packet(sock, buf, (size_t)len, fds, h->nfds);
	free(buf);
	return r;
}

int jshim_exited2_send(int sock, const struct jshim_exited2 *e)
{
	unsigned char buf[sizeof(struct jshim_msg_header) + sizeof *e];
	struct jshim_msg_header hdr = { JSHIM_PROTO_VERSION, JSHIM_MSG_EXITED, sizeof *e };
	memcpy(buf, &hdr, sizeof hdr);
	memcpy(buf + sizeof hdr, e, sizeof *e);
	return send_packet(sock, buf, sizeof buf, NULL, 0);
}

int jshim_reopen_log_send(int sock)
{
	struct jshim_msg_header hdr = { JSHIM_PROTO_VERSION, JSHIM_MSG_REOPEN_LOG, 0 };
	return send_packet(sock, &hdr, sizeof hdr, NULL, 0);
}

int jshim_msg_decode(const void *buf, size_t n, struct jshim_dmsg *m)
{
	struct jshim_msg_header hdr;
	const unsigned char *p = buf;
	if (n < sizeof hdr)
		return -EPROTO;
	memcpy(&hdr, p, sizeof hdr);
	if (hdr.version != JSHIM_PROTO_VERSION || hdr.length != n - sizeof hdr)
		return -EPROTO;
	memset(m, 0, sizeof *m);
	m->type = hdr.type;
	switch (hdr.type) {
	case JSHIM_MSG_READY:
	case JSHIM_MSG_CLOSE_STDIN:
	case JSHIM_MSG_DONE:
		return 0;
	case JSHIM_MSG_FAILED: {
		if (hdr.length < 4)
			return -EPROTO;
		memcpy(&m->err, p + sizeof hdr, 4);
		size_t tl = hdr.length - 4;
		if (tl >= sizeof m->text)
			tl = sizeof m->text - 1;
		memcpy(m->text, p + sizeof hdr + 4, tl);
		m->text[tl] = '\0';
		return 0;
	}
	default:
		return -EPROTO;
	}
}

static int close_passed_fds(struct msghdr *msg)
{
	int count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			close(fd);
			count++;
		}
	}
	return count;
}

int jshim_msg_recv(int sock, struct jshim_dmsg *m)
{
	static unsigned char buf[JSHIM_MSG_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(int) * JSHIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		log_warn("recvmsg daemon socket: %s", strerror(errno));
		return -ECONNRESET;
	}
	int nfds = close_passed_fds(&msg);
	if (n == 0 && nfds == 0)
		return -ECONNRESET;
	if (nfds > 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		log_error("daemon socket: packet truncated or carrying %d unexpected fds", nfds);
		return -EPROTO;
	}
	if (jshim_msg_decode(buf, (size_t)n, m) < 0) {
		log_error("daemon socket: malformed packet of %zd bytes", n);
		return -EPROTO;
	}
	return 0;
}
