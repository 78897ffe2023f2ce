/* test_hello.c: the v2 HELLO's byte layout (jshim_protocol.h), the fd list and its order,
 * EXITED v2, REOPEN_LOG, and packet decoding over a real socket (version 2 replies only);
 * kept attach clients: ATTACH_CLIENT with its one fd, GONE, the table, HELLO handing them over. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach_keep.h"
#include "check.h"
#include "container_fds.h"
#include "hand_fds.h"
#include "hello.h"

static uint64_t u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t u16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static void test_encode(void)
{
	unsigned char buf[256];
	struct jshim_hello2 h = { JSHIM_HELLO_STDIN | JSHIM_HELLO_ATTACH, JSHIM_STATE_EXITED, 100, 200, 0x900,
				  JSHIM_EXIT_TIMED_OUT, -5, 0x1122334455667788ull, 4096, JSHIM_LOG_K8S_FILE,
				  JSHIM_EXIT_CONMON_CODE, JSHIM_ATTACH_CONMON, 8, 16777216 };
	const char *strs[5] = { "id1", "", "ctr.log", "id1", NULL };
	ssize_t n = jshim_hello2_encode(buf, sizeof buf, &h, strs, NULL, 0);
	CHECK(n == 8 + 72 + (2 + 3) + 2 + (2 + 7) + (2 + 3) + 2);
	CHECK(u16(buf) == 2);
	CHECK(u16(buf + 2) == JSHIM_MSG_HELLO);
	CHECK(u32(buf + 4) == (uint32_t)(n - 8));
	const unsigned char *b = buf + 8;
	CHECK(u32(b + 0) == 9);       /* flags */
	CHECK(u32(b + 4) == 1);       /* state */
	CHECK(u32(b + 8) == 100);     /* launcher pid */
	CHECK(u32(b + 12) == 200);    /* container pid */
	CHECK(u32(b + 16) == 0x900);  /* wait status */
	CHECK(u32(b + 20) == 1);      /* exit flags */
	CHECK((int64_t)u64(b + 24) == -5); /* exit time */
	CHECK(u64(b + 32) == 0x1122334455667788ull); /* session id */
	CHECK(u64(b + 40) == 4096);   /* log size max */
	CHECK(u32(b + 48) == 2 && u32(b + 52) == 2 && u32(b + 56) == 2);
	CHECK(u32(b + 60) == 8);      /* nfds */
	CHECK(u64(b + 64) == 16777216); /* log global size max */
	const unsigned char *s = b + 72;
	CHECK(u16(s) == 3 && memcmp(s + 2, "id1", 3) == 0);
	CHECK(u16(s + 5) == 0);
	CHECK(u16(s + 7) == 7 && memcmp(s + 9, "ctr.log", 7) == 0);
	CHECK(u16(s + 16) == 3 && memcmp(s + 18, "id1", 3) == 0);
	CHECK(u16(s + 21) == 0);      /* NULL tag = empty */
	CHECK(jshim_hello2_encode(buf, 50, &h, strs, NULL, 0) == -EMSGSIZE);
}

static void test_fill(void)
{
	struct jshim_config cfg;
	struct jshim_container_fds f;
	struct jshim_hello2 h;
	int fds[JSHIM_MAX_FDS];
	const char *strs[JSHIM_HELLO2_NSTRINGS];
	jshim_config_init(&cfg);
	jshim_container_fds_init(&f);
	cfg.container_id = "cid";
	for (int i = 0; i < 5; i++)
		f.fd[i] = 10 + i;
	f.fd[JSHIM_CFD_EXIT_DIR] = 20;
	f.exit_name = "cid";
	/* shimmy: log file + attach, no stdin */
	f.fd[JSHIM_CFD_LOG_DIR] = 21;
	f.log_name = "c.log";
	f.fd[JSHIM_CFD_ATTACH] = 22;
	f.fd[JSHIM_CFD_ATTACH_DIR] = 99; /* never handed over */
	cfg.stdin_once = true;
	CHECK(jshim_hello2_fill(&cfg, &f, &h, fds, strs) == 8);
	CHECK(h.flags == (JSHIM_HELLO_STDIN_ONCE | JSHIM_HELLO_LOG_FILE | JSHIM_HELLO_ATTACH));
	CHECK(fds[0] == 10 && fds[4] == 14 && fds[5] == 20 && fds[6] == 21 && fds[7] == 22);
	CHECK(h.attach_format == JSHIM_ATTACH_SHIMMY && h.log_format == JSHIM_LOG_SHIMMY);
	CHECK(h.exit_format == JSHIM_EXIT_SHIMMY_JSON && h.log_size_max == 0 && h.log_global_size_max == 0);
	CHECK_STR(strs[0], "cid");
	CHECK_STR(strs[1], "");
	CHECK_STR(strs[2], "c.log");
	CHECK_STR(strs[3], "cid");
	CHECK_STR(strs[4], "");
	/* conmon: everything, in the header's order: stdin, log dir, attach, journald */
	cfg.dialect = JSHIM_DIALECT_CONMON;
	cfg.stdin_open = true;
	cfg.stdin_once = false;
	cfg.name = "nm";
	cfg.log_tag = "tg";
	cfg.log_size_max = 1000;
	cfg.log_global_size_max = 16777216;
	cfg.attach_format = JSHIM_ATTACH_CONMON;
	f.fd[JSHIM_CFD_STDIN] = 23;
	f.fd[JSHIM_CFD_JOURNALD] = 24;
	CHECK(jshim_hello2_fill(&cfg, &f, &h, fds, strs) == 10);
	CHECK(h.flags == (JSHIM_HELLO_STDIN | JSHIM_HELLO_STDIN_ONCE | JSHIM_HELLO_LOG_FILE |
			  JSHIM_HELLO_ATTACH | JSHIM_HELLO_LOG_JOURNALD));
	CHECK(fds[5] == 20 && fds[6] == 23 && fds[7] == 21 && fds[8] == 22 && fds[9] == 24);
	/* --no-sync-log: a flag with the log, no fd */
	cfg.no_sync_log = true;
	CHECK(jshim_hello2_fill(&cfg, &f, &h, fds, strs) == 10);
	CHECK(h.flags == (JSHIM_HELLO_STDIN | JSHIM_HELLO_STDIN_ONCE | JSHIM_HELLO_LOG_FILE |
			  JSHIM_HELLO_ATTACH | JSHIM_HELLO_LOG_JOURNALD | JSHIM_HELLO_NO_SYNC_LOG));
	CHECK(h.attach_format == JSHIM_ATTACH_CONMON && h.log_size_max == 1000);
	CHECK(h.log_global_size_max == 16777216);
	CHECK_STR(strs[1], "nm");
	CHECK_STR(strs[4], "tg");
	/* conmon --leave-stdin-open: no stdin-once; passthrough: no log, no attach */
	cfg.leave_stdin_open = true;
	f.fd[JSHIM_CFD_LOG_DIR] = f.fd[JSHIM_CFD_ATTACH] = f.fd[JSHIM_CFD_JOURNALD] = -1;
	CHECK(jshim_hello2_fill(&cfg, &f, &h, fds, strs) == 7);
	CHECK(h.flags == JSHIM_HELLO_STDIN && h.attach_format == 0 && fds[6] == 23);
	CHECK_STR(strs[2], "");
	jshim_config_free(&cfg);
}

static void test_send_with_fds(void)
{
	int sp[2], fds[6], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(pipe(p) == 0);
	for (int i = 0; i < 6; i++)
		fds[i] = p[0];
	struct jshim_hello2 h = { 0 };
	h.nfds = 6;
	const char *strs[5] = { "a", "b", "c", "d", "e" };
	CHECK(jshim_hello2_send(sp[0], &h, strs, fds, NULL, 0) == 0);
	unsigned char buf[512];
	union {
		char b[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	ssize_t n = recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC);
	CHECK(n == 8 + 72 + 5 * 3);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	CHECK(c != NULL && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(6 * sizeof(int)));
	if (c) {
		int got[6];
		memcpy(got, CMSG_DATA(c), sizeof got);
		for (int i = 0; i < 6; i++)
			close(got[i]);
	}
	struct jshim_exited2 e = { SIGKILL, JSHIM_EXIT_TIMED_OUT, 1234567890123456789ll };
	CHECK(jshim_exited2_send(sp[0], &e) == 0);
	n = recv(sp[1], buf, sizeof buf, 0);
	CHECK(n == 24 && u16(buf) == 2 && u16(buf + 2) == JSHIM_MSG_EXITED && u32(buf + 4) == 16);
	CHECK(u32(buf + 8) == SIGKILL && u32(buf + 12) == 1 && u64(buf + 16) == 1234567890123456789ull);
	CHECK(jshim_reopen_log_send(sp[0]) == 0);
	n = recv(sp[1], buf, sizeof buf, 0);
	CHECK(n == 8 && u16(buf) == 2 && u16(buf + 2) == JSHIM_MSG_REOPEN_LOG && u32(buf + 4) == 0);
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
	if (plen)
		memcpy(buf + 8, payload, plen);
	return (int)send(fd, buf, 8 + plen, 0);
}

static void test_recv(void)
{
	int sp[2];
	struct jshim_dmsg m;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(jshim_msg_recv(sp[0], &m) == -EAGAIN);
	send_raw(sp[1], 2, JSHIM_MSG_READY, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_READY);
	unsigned char failed[12];
	int32_t e = EACCES;
	memcpy(failed, &e, 4);
	memcpy(failed + 4, "denied!!", 8);
	send_raw(sp[1], 2, JSHIM_MSG_FAILED, 12, failed, 12);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_FAILED && m.err == EACCES);
	CHECK_STR(m.text, "denied!!");
	send_raw(sp[1], 2, JSHIM_MSG_CLOSE_STDIN, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_CLOSE_STDIN);
	send_raw(sp[1], 2, JSHIM_MSG_DONE, 0, NULL, 0);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_DONE);
	send_raw(sp[1], 1, JSHIM_MSG_READY, 0, NULL, 0); /* a v1 reply: a v2 launcher refuses it */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 3, JSHIM_MSG_DONE, 0, NULL, 0); /* unknown version */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 2, 99, 0, NULL, 0); /* unknown type */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 2, JSHIM_MSG_HELLO, 0, NULL, 0); /* not daemon -> launcher */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 2, JSHIM_MSG_REOPEN_LOG, 0, NULL, 0); /* not daemon -> launcher either */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 2, JSHIM_MSG_READY, 10, NULL, 0); /* shorter than it says */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	send_raw(sp[1], 2, JSHIM_MSG_FAILED, 2, "ab", 2); /* FAILED without errno */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	CHECK(send(sp[1], "abc", 3, 0) == 3); /* shorter than a header */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);

	/* a READY carrying an fd: the fd is closed, the packet rejected */
	int p[2];
	CHECK(pipe(p) == 0);
	unsigned char hdr[8];
	struct jshim_msg_header h = { 2, JSHIM_MSG_READY, 0 };
	memcpy(hdr, &h, 8);
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { hdr, 8 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
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

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* Sends a v2 packet of type with a u32 token payload (plen bytes of it) and nfds copies of fd. */
static int send_token(int sock, uint16_t type, uint32_t token, size_t plen, int fd, int nfds)
{
	unsigned char buf[16];
	struct jshim_msg_header h = { 2, type, (uint32_t)plen };
	memcpy(buf, &h, 8);
	memcpy(buf + 8, &token, 4);
	union {
		char b[CMSG_SPACE(sizeof(int) * 2)];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { buf, 8 + plen };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		int fds[2] = { fd, fd };
		msg.msg_control = ctl.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return (int)sendmsg(sock, &msg, 0);
}

static void test_recv_attach_client(void)
{
	int sp[2], p[2];
	struct jshim_dmsg m;
	char x;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(pipe(p) == 0);
	/* ATTACH_CLIENT with exactly one fd: the fd is the caller's */
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT, 7, 4, p[1], 1) == 12);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_ATTACH_CLIENT && m.token == 7);
	CHECK(m.fd >= 0 && m.fd != p[1] && (fcntl(m.fd, F_GETFD) & FD_CLOEXEC));
	CHECK(write(m.fd, "k", 1) == 1 && read(p[0], &x, 1) == 1 && x == 'k');
	close(m.fd);
	/* GONE: a token, no fd */
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT_GONE, 7, 4, -1, 0) == 12);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_ATTACH_CLIENT_GONE && m.token == 7 && m.fd == -1);
	/* other messages carry no fd */
	CHECK(send_raw(sp[1], 2, JSHIM_MSG_READY, 0, NULL, 0) == 8);
	CHECK(jshim_msg_recv(sp[0], &m) == 0 && m.type == JSHIM_MSG_READY && m.fd == -1);
	/* protocol errors; every fd that came is closed */
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT, 8, 4, -1, 0) == 12); /* no fd */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT, 8, 4, p[1], 2) == 12); /* two fds */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT_GONE, 8, 4, p[1], 1) == 12); /* GONE with an fd */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	CHECK(send_token(sp[1], JSHIM_MSG_ATTACH_CLIENT, 8, 3, p[1], 1) == 11); /* short payload */
	CHECK(jshim_msg_recv(sp[0], &m) == -EPROTO);
	close(p[1]);
	CHECK(read(p[0], &x, 1) == 0); /* every passed copy of the write end was closed */
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
}

static void test_keep(void)
{
	struct jshim_attach_keep k;
	memset(&k, 0, sizeof k);
	int fds[JSHIM_MAX_FDS];
	uint32_t tokens[JSHIM_MAX_ATTACH_CLIENTS];
	struct jshim_hello2 h = { 0 };
	h.flags = JSHIM_HELLO_ATTACH;
	h.nfds = 7;
	CHECK(jshim_attach_keep_hand(&k, &h, fds, tokens) == 0 && h.flags == JSHIM_HELLO_ATTACH && h.nfds == 7);
	int a = dup(0), b = dup(0), c = dup(0);
	jshim_attach_keep_add(&k, 1, a);
	jshim_attach_keep_add(&k, 2, b);
	jshim_attach_keep_add(&k, 3, c);
	jshim_attach_keep_gone(&k, 2);
	CHECK(!fd_open(b) && fd_open(a) && fd_open(c) && k.n == 2);
	jshim_attach_keep_gone(&k, 99); /* unknown: ignored */
	CHECK(k.n == 2);
	CHECK(jshim_attach_keep_hand(&k, &h, fds, tokens) == 2);
	CHECK(h.flags == (JSHIM_HELLO_ATTACH | JSHIM_HELLO_ATTACH_CLIENTS) && h.nfds == 9);
	CHECK(tokens[0] == 1 && fds[7] == a && tokens[1] == 3 && fds[8] == c);
	/* no attach listener in the HELLO: nothing handed over */
	struct jshim_hello2 none = { 0 };
	none.nfds = 6;
	CHECK(jshim_attach_keep_hand(&k, &none, fds, tokens) == 0 && none.flags == 0 && none.nfds == 6);
	/* full: the next one is closed at once */
	int kept[JSHIM_MAX_ATTACH_CLIENTS];
	for (unsigned i = k.n; i < JSHIM_MAX_ATTACH_CLIENTS; i++) {
		kept[i] = dup(0);
		jshim_attach_keep_add(&k, 100 + i, kept[i]);
	}
	CHECK(k.n == JSHIM_MAX_ATTACH_CLIENTS);
	int extra = dup(0);
	jshim_attach_keep_add(&k, 500, extra);
	CHECK(!fd_open(extra) && k.n == JSHIM_MAX_ATTACH_CLIENTS);
	h.flags = JSHIM_HELLO_ATTACH;
	h.nfds = 10; /* every optional fd: 10 + 32 still fits */
	CHECK(jshim_attach_keep_hand(&k, &h, fds, tokens) == JSHIM_MAX_ATTACH_CLIENTS && h.nfds == 42);
	jshim_attach_keep_close_all(&k);
	CHECK(k.n == 0 && !fd_open(a) && !fd_open(c) && !fd_open(kept[JSHIM_MAX_ATTACH_CLIENTS - 1]));
}

static void test_hello_with_clients(void)
{
	unsigned char buf[256];
	struct jshim_hello2 h = { 0 };
	h.flags = JSHIM_HELLO_ATTACH | JSHIM_HELLO_ATTACH_CLIENTS;
	const char *strs[5] = { "id", "", "", "x", "" };
	uint32_t tokens[2] = { 7, 0x80000001u };
	ssize_t n = jshim_hello2_encode(buf, sizeof buf, &h, strs, tokens, 2);
	size_t at = 8 + 72 + (2 + 2) + 2 + 2 + (2 + 1) + 2;
	CHECK(n == (ssize_t)(at + 4 + 8));
	CHECK(u32(buf + 4) == (uint32_t)(n - 8));
	CHECK(u32(buf + at) == 2 && u32(buf + at + 4) == 7 && u32(buf + at + 8) == 0x80000001u);
	CHECK(jshim_hello2_encode(buf, sizeof buf, &h, strs, NULL, 0) == -EINVAL); /* flag, no tokens */
	h.flags = JSHIM_HELLO_ATTACH;
	CHECK(jshim_hello2_encode(buf, sizeof buf, &h, strs, tokens, 2) == -EINVAL); /* tokens, no flag */
	h.flags |= JSHIM_HELLO_ATTACH_CLIENTS;
	uint32_t many[JSHIM_MAX_ATTACH_CLIENTS + 1] = { 0 };
	CHECK(jshim_hello2_encode(buf, sizeof buf, &h, strs, many, JSHIM_MAX_ATTACH_CLIENTS + 1) == -EINVAL);

	/* over a socket: the client fds come last, after the HELLO's others */
	int sp[2], p[2], fds[JSHIM_MAX_FDS];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
	CHECK(pipe(p) == 0);
	h.nfds = 42;
	for (int i = 0; i < 42; i++)
		fds[i] = p[0];
	fds[41] = p[1];
	CHECK(jshim_hello2_send(sp[0], &h, strs, fds, tokens, 2) == 0);
	union {
		char b[CMSG_SPACE(sizeof(int) * JSHIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	n = recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC);
	CHECK(n == (ssize_t)(at + 12) && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	CHECK(c != NULL && c->cmsg_len == CMSG_LEN(42 * sizeof(int)));
	if (c) {
		int got[42];
		memcpy(got, CMSG_DATA(c), sizeof got);
		CHECK(write(got[41], "w", 1) == 1); /* the last fd is the last client's */
		for (int i = 0; i < 42; i++)
			close(got[i]);
	}
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	test_encode();
	test_fill();
	test_send_with_fds();
	test_recv();
	test_recv_attach_client();
	test_keep();
	test_hello_with_clients();
	return check_result("test_hello");
}
