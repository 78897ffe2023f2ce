/* test_hello.c: the HELLO encoder's byte layout and packet decoding over a real socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "hello.h"

static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t u16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static void test_encode(void)
{
	unsigned char buf[256];
	struct jshim_hello h = { JSHIM_HELLO_STDIN | JSHIM_HELLO_STDIN_ONCE, JSHIM_STATE_EXITED, 100, 200,
				 0x900, JSHIM_LOG_SHIMMY, JSHIM_EXIT_SHIMMY_JSON, 6 };
	const char *strs[4] = { "id1", "/log", "", "/att" };
	ssize_t n = jshim_hello_encode(buf, sizeof buf, &h, strs);
	CHECK(n == 8 + 32 + (2 + 3) + (2 + 4) + 2 + (2 + 4));
	CHECK(u16(buf) == JSHIM_PROTO_VERSION_MIN);
	CHECK(u16(buf + 2) == JSHIM_MSG_HELLO);
	CHECK(u32(buf + 4) == (uint32_t)(n - 8));
	CHECK(u32(buf + 8) == 3);     /* flags */
	CHECK(u32(buf + 12) == 1);    /* state */
	CHECK(u32(buf + 16) == 100);  /* launcher pid */
	CHECK(u32(buf + 20) == 200);  /* container pid */
	CHECK(u32(buf + 24) == 0x900); /* wait status */
	CHECK(u32(buf + 28) == 1 && u32(buf + 32) == 1);
	CHECK(u32(buf + 36) == 6);    /* nfds */
	CHECK(u16(buf + 40) == 3 && memcmp(buf + 42, "id1", 3) == 0);
	CHECK(u16(buf + 45) == 4 && memcmp(buf + 47, "/log", 4) == 0);
	CHECK(u16(buf + 51) == 0);
	CHECK(u16(buf + 53) == 4 && memcmp(buf + 55, "/att", 4) == 0);
	CHECK(jshim_hello_encode(buf, 50, &h, strs) == -EMSGSIZE);
}

static void test_send_with_fds(void)
{
	int sp[2], fds[5], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(pipe(p) == 0);
	for (int i = 0; i < 5; i++)
		fds[i] = p[0];
	struct jshim_hello h = { 0, JSHIM_STATE_RUNNING, 1, 2, 0, 1, 1, 5 };
	const char *strs[4] = { "a", "b", "c", "d" };
	CHECK(jshim_hello_send(sp[0], &h, strs, fds) == 0);
	unsigned char buf[512];
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	ssize_t n = recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC);
	CHECK(n == 8 + 32 + 4 * 3);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	CHECK(c != NULL && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(5 * sizeof(int)));
	if (c) {
		int got[5];
		memcpy(got, CMSG_DATA(c), sizeof got);
		for (int i = 0; i < 5; i++)
			close(got[i]);
	}
	CHECK(jshim_exited_send(sp[0], 0x100) == 0);
	n = recv(sp[1], buf, sizeof buf, 0);
	CHECK(n == 12 && u16(buf + 2) == JSHIM_MSG_EXITED && u32(buf + 4) == 4 && u32(buf + 8) == 0x100);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

static int send_raw(int fd, uint16_t ver, uint16_t type, uint32_t len, const void *payload, size_t plen)
{
	unsigned char buf[128];
	struct jshim_msg_header h = { ver, type, len };
	memcpy(buf, &h, 8);
	memcpy(buf + 8, payload, plen);
	return (int)send(fd, buf, 8 + plen, 0);
}

static void test_recv(void)
{
	int sp[2];
	struct jshim_dmsg m;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(jshim_msg_recv(sp[0], &m) == -EAGAIN);
	send_raw(sp[1], 1, JSHIM_MSG_READY, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_READY);
	unsigned char failed[12];
	int32_t e = EACCES;
	memcpy(failed, &e, 4);
	memcpy(failed + 4, "denied!!", 8);
	send_raw(sp[1], 1, JSHIM_MSG_FAILED, 12, failed, 12);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_FAILED && m.err == EACCES);
	CHECK_STR(m.text, "denied!!");
	send_raw(sp[1], 1, JSHIM_MSG_CLOSE_STDIN, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_CLOSE_STDIN);
	send_raw(sp[1], 1, JSHIM_MSG_DONE, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_DONE);
	send_raw(sp[1], 2, JSHIM_MSG_DONE, 0, NULL, 0); /* bad version */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 1, 99, 0, NULL, 0); /* unknown type */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 1, JSHIM_MSG_HELLO, 0, NULL, 0); /* not daemon -> launcher */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 1, JSHIM_MSG_READY, 10, NULL, 0); /* shorter than it says */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 1, JSHIM_MSG_FAILED, 2, "ab", 2); /* FAILED without errno */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	CHECK(send(sp[1], "abc", 3, 0) == 3); /* shorter than a header */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);

	/* a READY carrying an fd: the fd is closed, the packet rejected */
	int p[2];
	CHECK(pipe(p) == 0);
	unsigned char hdr[8];
	struct jshim_msg_header h = { 1, JSHIM_MSG_READY, 0 };
	memcpy(hdr, &h, 8);
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = { hdr, 8 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	CHECK(sendmsg(sp[1], &msg, 0) == 8);
	close(p[1]);
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	char x;
	CHECK(read(p[0], &x, 1) == 0); /* every write end closed: the passed copy was closed */
	close(p[0]);

	close(sp[1]);
	CHECK(jshim_msg_recv(sp[0], &m) == -ECONNRESET);
	close(sp[0]);
}

int main(void)
{
	test_encode();
	test_send_with_fds();
	test_recv();
	return check_result("test_hello");
}
