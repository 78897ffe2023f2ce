/* test_pty_relay.c: the -t relay on a real pty (openpty): bytes both ways, the EIO end,
 * back-pressure without loss, resizes queued before the master; and the console socket
 * (listen, one SCM_RIGHTS master, ONLCR, path unlinked). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "console.h"
#include "pty_relay.h"

struct rig {
	struct jshim_pty_relay r;
	int master, slave;
	int out_r; /* the daemon's end of the stdout pipe */
	int in_w;  /* the daemon's end of the stdin pipe */
};

static void rig_open(struct rig *g, bool with_master)
{
	int out[2], in[2];
	struct termios t;
	CHECK(openpty(&g->master, &g->slave, NULL, NULL, NULL) == 0);
	CHECK(tcgetattr(g->slave, &t) == 0);
	cfmakeraw(&t); /* bytes as they are: no echo, no ONLCR */
	CHECK(tcsetattr(g->slave, TCSANOW, &t) == 0);
	CHECK(pipe2(out, O_CLOEXEC) == 0 && pipe2(in, O_CLOEXEC) == 0);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(g->slave, F_SETFL, O_NONBLOCK);
	fcntl(g->master, F_SETFL, O_NONBLOCK);
	g->out_r = out[0];
	g->in_w = in[1];
	jshim_relay_init(&g->r, out[1], in[0]);
	if (with_master)
		jshim_relay_set_master(&g->r, g->master);
}

static void rig_close(struct rig *g)
{
	jshim_relay_close(&g->r);
	if (g->slave >= 0)
		close(g->slave);
	close(g->out_r);
	close(g->in_w);
}

/* polls the relay's fds (as the launcher does) and pumps, for at most ms */
static void spin(struct rig *g, int ms)
{
	for (int i = 0; i < ms; i++) {
		struct pollfd pfd[JSHIM_RELAY_NPOLL];
		jshim_relay_poll(&g->r, pfd);
		poll(pfd, JSHIM_RELAY_NPOLL, 1);
		jshim_relay_pump(&g->r);
	}
}

static size_t read_some(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);
	return n > 0 ? (size_t)n : 0;
}

static void test_both_ways_and_eio(void)
{
	struct rig g;
	char buf[256];
	rig_open(&g, true);
	CHECK(write(g.slave, "hello\r\n", 7) == 7);
	spin(&g, 20);
	size_t n = read_some(g.out_r, buf, sizeof buf);
	CHECK(n == 7 && memcmp(buf, "hello\r\n", 7) == 0);
	CHECK(write(g.in_w, "keys", 4) == 4);
	spin(&g, 20);
	n = read_some(g.slave, buf, sizeof buf);
	CHECK(n == 4 && memcmp(buf, "keys", 4) == 0);
	CHECK(!jshim_relay_done(&g.r));
	/* the container exits: last output, then the slave closes: EIO is the normal end */
	CHECK(write(g.slave, "bye", 3) == 3);
	close(g.slave);
	g.slave = -1;
	spin(&g, 50);
	CHECK(jshim_relay_done(&g.r));
	CHECK(g.r.out_w == -1 && g.r.master == -1);
	n = read_some(g.out_r, buf, sizeof buf);
	CHECK(n == 3 && memcmp(buf, "bye", 3) == 0);
	CHECK(read(g.out_r, buf, sizeof buf) == 0); /* EOF for the daemon */
	CHECK(g.r.out_bytes == 10 && g.r.in_bytes == 4);
	rig_close(&g);
}

/* A slow daemon: the stdout pipe holds 4 KiB; 1 MiB of numbered bytes all arrive, in order. */
static void test_back_pressure(void)
{
	struct rig g;
	rig_open(&g, true);
	CHECK(fcntl(g.out_r, F_SETPIPE_SZ, 4096) >= 0);
	const size_t total = 1 << 20;
	size_t written = 0, got = 0;
	bool ordered = true, stalled = false;
	char buf[8192];
	for (int round = 0; round < 200000 && got < total; round++) {
		while (written < total) {
			char chunk[1024];
			size_t k = total - written < sizeof chunk ? total - written : sizeof chunk;
			for (size_t i = 0; i < k; i++)
				chunk[i] = (char)((written + i) % 251);
			ssize_t w = write(g.slave, chunk, k);
			if (w <= 0)
				break;
			written += (size_t)w;
		}
		spin(&g, 1);
		struct pollfd pfd[JSHIM_RELAY_NPOLL];
		jshim_relay_poll(&g.r, pfd);
		if (pfd[0].fd == -1 && g.r.out.len == JSHIM_RELAY_BUF)
			stalled = true; /* a full buffer: the master is not polled */
		if (round % 4 == 0) { /* the daemon reads now and then */
			size_t n = read_some(g.out_r, buf, 2048);
			for (size_t i = 0; i < n; i++)
				ordered &= buf[i] == (char)((got + i) % 251);
			got += n;
		}
	}
	CHECK(written == total);
	CHECK(got == total);
	CHECK(ordered);
	CHECK(stalled);
	rig_close(&g);
}

static void get_size(int fd, unsigned short *rows, unsigned short *cols)
{
	struct winsize ws = { 0 };
	CHECK(ioctl(fd, TIOCGWINSZ, &ws) == 0);
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

/* exec -it: sizes arrive before the master; the last one is applied when it arrives; input
 * written before stays in the stdin pipe until then */
static void test_resize_and_input_before_master(void)
{
	struct rig g;
	unsigned short rows, cols;
	char buf[64];
	rig_open(&g, false);
	CHECK(jshim_relay_resize(&g.r, 10, 20) == 0);
	CHECK(jshim_relay_resize(&g.r, 33, 111) == 0);
	get_size(g.slave, &rows, &cols);
	CHECK(rows == 0 && cols == 0);
	CHECK(write(g.in_w, "early", 5) == 5);
	spin(&g, 10);
	CHECK(!jshim_relay_done(&g.r));
	jshim_relay_set_master(&g.r, g.master);
	get_size(g.slave, &rows, &cols);
	CHECK(rows == 33 && cols == 111);
	spin(&g, 20);
	size_t n = read_some(g.slave, buf, sizeof buf);
	CHECK(n == 5 && memcmp(buf, "early", 5) == 0);
	CHECK(jshim_relay_resize(&g.r, 40, 100) == 0); /* later ones at once */
	get_size(g.slave, &rows, &cols);
	CHECK(rows == 40 && cols == 100);
	rig_close(&g);
}

/* The container is gone but a process still holds the slave: finish() ends the output. */
static void test_finish_without_eio(void)
{
	struct rig g;
	char buf[64];
	rig_open(&g, true);
	CHECK(write(g.slave, "tail", 4) == 4);
	usleep(20000);
	jshim_relay_finish(&g.r);
	CHECK(jshim_relay_done(&g.r));
	CHECK(read_some(g.out_r, buf, sizeof buf) == 4);
	CHECK(read(g.out_r, buf, sizeof buf) == 0);
	rig_close(&g);
}

static void test_console_socket(void)
{
	struct jshim_console c;
	struct stat st;
	int m, s;
	CHECK(jshim_console_listen(&c) == 0);
	CHECK(strncmp(c.path, "/tmp/jshim-term.", 16) == 0 || getenv("TMPDIR") != NULL);
	CHECK(stat(c.path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK(fcntl(c.listen_fd, F_GETFD) & FD_CLOEXEC);
	CHECK(jshim_console_accept(&c) == -EAGAIN);
	char path[sizeof c.path];
	strcpy(path, c.path);
	/* the runtime's side: connect, send "/dev/ptmx" with the master */
	CHECK(openpty(&m, &s, NULL, NULL, NULL) == 0);
	struct termios t;
	CHECK(tcgetattr(m, &t) == 0);
	t.c_oflag &= ~(tcflag_t)ONLCR;
	CHECK(tcsetattr(m, TCSANOW, &t) == 0);
	int cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	CHECK(connect(cl, (struct sockaddr *)&sa, sizeof sa) == 0);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { "/dev/ptmx", 9 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &m, sizeof m);
	CHECK(sendmsg(cl, &msg, 0) == 9);
	int got = jshim_console_accept(&c);
	CHECK(got >= 0);
	CHECK(c.listen_fd == -1 && c.path[0] == '\0');
	CHECK(stat(path, &st) < 0 && errno == ENOENT);
	CHECK(got >= 0 && (fcntl(got, F_GETFD) & FD_CLOEXEC) && (fcntl(got, F_GETFL) & O_NONBLOCK));
	CHECK(got >= 0 && tcgetattr(got, &t) == 0 && (t.c_oflag & ONLCR));
	/* the same pty: what the slave writes comes out of the received master, \n as \r\n */
	CHECK(write(s, "x\n", 2) == 2);
	char buf[8];
	struct pollfd pfd = { got, POLLIN, 0 };
	CHECK(poll(&pfd, 1, 2000) == 1);
	CHECK(read(got, buf, sizeof buf) == 3 && memcmp(buf, "x\r\n", 3) == 0);
	close(got);
	close(cl);
	close(m);
	close(s);
	jshim_console_close(&c);
	/* a runtime that connects and sends no fd */
	CHECK(jshim_console_listen(&c) == 0);
	cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, c.path);
	CHECK(connect(cl, (struct sockaddr *)&sa, sizeof sa) == 0);
	CHECK(write(cl, "nofd", 4) == 4);
	CHECK(jshim_console_accept(&c) == -EBADMSG);
	CHECK(c.listen_fd == -1);
	close(cl);
	jshim_console_close(&c);
}

int main(void)
{
	test_both_ways_and_eio();
	test_back_pressure();
	test_resize_and_input_before_master();
	test_finish_without_eio();
	test_console_socket();
	return check_result("test_pty_relay");
}
