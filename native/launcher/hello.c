/* hello.c: protocol v2 packets on the SOCK_SEQPACKET link, one message per packet. */
#include "hello.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

ssize_t jshim_hello2_encode(void *buf, size_t cap, const struct jshim_hello2 *h,
			    const char *const strings[JSHIM_HELLO2_NSTRINGS], const uint32_t *tokens,
			    unsigned ntokens)
{
	bool clients = (h->flags & JSHIM_HELLO_ATTACH_CLIENTS) != 0;
	if (clients != (ntokens > 0) || ntokens > JSHIM_MAX_ATTACH_CLIENTS)
		return -EINVAL;
	size_t total = sizeof(struct jshim_msg_header) + sizeof *h;
	if (clients)
		total += 4 + 4 * (size_t)ntokens;
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
	if (clients) {
		uint32_t count = ntokens;
		memcpy(p, &count, 4);
		memcpy(p + 4, tokens, 4 * (size_t)ntokens);
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
		      const char *const strings[JSHIM_HELLO2_NSTRINGS], const int *fds,
		      const uint32_t *tokens, unsigned ntokens)
{
	unsigned char *buf = malloc(JSHIM_MSG_MAX);
	if (buf == NULL)
		return -ENOMEM;
	ssize_t len = jshim_hello2_encode(buf, JSHIM_MSG_MAX, h, strings, tokens, ntokens);
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
	m->fd = -1;
	switch (hdr.type) {
	case JSHIM_MSG_READY:
	case JSHIM_MSG_CLOSE_STDIN:
	case JSHIM_MSG_DONE:
		return 0;
	case JSHIM_MSG_ATTACH_CLIENT:
	case JSHIM_MSG_ATTACH_CLIENT_GONE:
		if (hdr.length != 4)
			return -EPROTO;
		memcpy(&m->token, p + sizeof hdr, 4);
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

/* Every fd that came with the packet: the first one in *first (-1 if none), the others closed.
 * Returns how many came. */
static int take_passed_fds(struct msghdr *msg, int *first)
{
	int count = 0;
	*first = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (count++ == 0)
				*first = fd;
			else
				close(fd);
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
	int fd;
	int nfds = take_passed_fds(&msg, &fd);
	if (n == 0 && nfds == 0)
		return -ECONNRESET;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		log_error("daemon socket: packet truncated (%d fds)", nfds);
		jshim_close(&fd);
		return -EPROTO;
	}
	if (jshim_msg_decode(buf, (size_t)n, m) < 0) {
		log_error("daemon socket: malformed packet of %zd bytes", n);
		jshim_close(&fd);
		return -EPROTO;
	}
	/* only ATTACH_CLIENT carries an fd, exactly one */
	if (nfds != (m->type == JSHIM_MSG_ATTACH_CLIENT ? 1 : 0)) {
		log_error("daemon socket: message type %u carrying %d fds", (unsigned)m->type, nfds);
		jshim_close(&fd);
		return -EPROTO;
	}
	m->fd = fd;
	return 0;
}
