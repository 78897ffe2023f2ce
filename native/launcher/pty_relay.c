/* pty_relay.c: the -t relay between the pty master and the container's stdio pipes. */
#include "pty_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define PUMP_ROUNDS 16 /* per call, so a flood cannot starve the rest of the poll loop */

static void set_nonblock(int fd, const char *what)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		log_error("fcntl O_NONBLOCK %s fd %d: %s", what, fd, strerror(errno));
}

void jshim_relay_init(struct jshim_pty_relay *r, int out_w, int in_r)
{
	memset(r, 0, sizeof *r);
	r->master = -1;
	r->out_w = out_w;
	r->in_r = in_r;
	if (out_w >= 0)
		set_nonblock(out_w, "tty stdout pipe");
	if (in_r >= 0)
		set_nonblock(in_r, "tty stdin pipe");
}

static int apply_size(int master, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	if (ioctl(master, TIOCSWINSZ, &ws) < 0) {
		int e = errno;
		log_warn("ioctl TIOCSWINSZ %ux%u on the pty master: %s", rows, cols, strerror(e));
		return -e;
	}
	log_debug("pty resized to %u rows x %u columns", rows, cols);
	return 0;
}

void jshim_relay_set_master(struct jshim_pty_relay *r, int master)
{
	jshim_close(&r->master);
	r->master = master;
	r->master_eof = false;
	if (r->resize_due) {
		r->resize_due = false;
		apply_size(master, r->rows, r->cols);
	}
}

int jshim_relay_resize(struct jshim_pty_relay *r, unsigned short rows, unsigned short cols)
{
	r->rows = rows;
	r->cols = cols;
	if (r->master < 0) {
		r->resize_due = true; /* the last size before the master wins */
		return 0;
	}
	return apply_size(r->master, rows, cols);
}

static size_t room(const struct jshim_relay_buf *b)
{
	return JSHIM_RELAY_BUF - b->off - b->len;
}

/* Reads what fits. >0 bytes, 0 nothing now (or no room), -1 end (EOF, EIO or an error). */
static ssize_t fill(int fd, struct jshim_relay_buf *b, const char *what)
{
	if (b->len == 0)
		b->off = 0;
	else if (room(b) == 0 && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (room(b) == 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, b->data + b->off + b->len, room(b));
		if (n > 0) {
			b->len += (size_t)n;
			return n;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		if (errno != EIO)
			log_warn("read %s: %s", what, strerror(errno));
		return -1;
	}
}

/* Writes what the fd takes. >0 bytes, 0 nothing now, -1 the destination is gone. */
static ssize_t drain(int fd, struct jshim_relay_buf *b, const char *what)
{
	for (;;) {
		ssize_t n = write(fd, b->data + b->off, b->len);
		if (n >= 0) {
			b->off += (size_t)n;
			b->len -= (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		log_warn("write %s: %s; %zu bytes dropped", what, strerror(errno), b->len);
		b->off = b->len = 0;
		return -1;
	}
}

static void close_master(struct jshim_pty_relay *r)
{
	jshim_close(&r->master);
	r->in.off = r->in.len = 0; /* input for a tty that is gone */
	jshim_close(&r->in_r);
}

/* The output direction is over: close the stdout write end so the daemon sees EOF. */
static void output_end(struct jshim_pty_relay *r)
{
	if (r->out_w >= 0) {
		jshim_close(&r->out_w);
		log_debug("tty relay done: %llu bytes out, %llu bytes in", r->out_bytes, r->in_bytes);
	}
	close_master(r);
}

static bool pump_once(struct jshim_pty_relay *r)
{
	bool progress = false;
	ssize_t n;
	/* read the master until it is empty (or the buffer full) before writing: fewer, larger
	 * pipe writes, so the daemon handles fewer chunks; no waiting, so no added latency */
	while (r->master >= 0 && !r->master_eof) {
		n = fill(r->master, &r->out, "pty master");
		if (n < 0)
			r->master_eof = true; /* EIO: the slave side is closed */
		progress |= n != 0;
		if (n <= 0)
			break;
	}
	if (r->out_w >= 0 && r->out.len > 0) {
		n = drain(r->out_w, &r->out, "tty stdout pipe");
		if (n > 0)
			r->out_bytes += (unsigned long long)n;
		progress |= n != 0;
	}
	if (r->master_eof && r->out.len == 0 && (r->out_w >= 0 || r->master >= 0))
		output_end(r);
	if (r->master < 0 || r->master_eof)
		return progress; /* input stays in the stdin pipe until there is a tty to take it */
	if (r->in_r >= 0) {
		n = fill(r->in_r, &r->in, "tty stdin pipe");
		if (n < 0)
			jshim_close(&r->in_r); /* every writer closed the stdin pipe */
		progress |= n != 0;
	}
	if (r->in.len > 0) {
		n = drain(r->master, &r->in, "pty master");
		if (n > 0)
			r->in_bytes += (unsigned long long)n;
		progress |= n > 0;
	}
	return progress;
}

void jshim_relay_pump(struct jshim_pty_relay *r)
{
	for (int i = 0; i < PUMP_ROUNDS && pump_once(r); i++)
		;
}

void jshim_relay_poll(const struct jshim_pty_relay *r, struct pollfd *pfd)
{
	bool live = r->master >= 0 && !r->master_eof;
	short mev = (short)((live && room(&r->out) + r->out.off > 0 ? POLLIN : 0) |
			    (live && r->in.len > 0 ? POLLOUT : 0));
	pfd[0] = (struct pollfd){ mev ? r->master : -1, mev, 0 };
	pfd[1] = (struct pollfd){ r->out_w >= 0 && r->out.len > 0 ? r->out_w : -1, POLLOUT, 0 };
	pfd[2] = (struct pollfd){ live && r->in_r >= 0 && room(&r->in) + r->in.off > 0 ? r->in_r : -1, POLLIN, 0 };
}

bool jshim_relay_done(const struct jshim_pty_relay *r)
{
	return r->master_eof && r->out_w < 0;
}

void jshim_relay_finish(struct jshim_pty_relay *r)
{
	if (r->master_eof)
		return;
	jshim_relay_pump(r);
	if (!r->master_eof) {
		log_warn("tty relay: no EIO from the pty master; no longer reading it (%zu bytes still to "
			 "write to the stdout pipe)", r->out.len);
		r->master_eof = true;
		close_master(r);
	}
	if (r->out.len == 0)
		output_end(r);
}

void jshim_relay_close(struct jshim_pty_relay *r)
{
	close_master(r);
	jshim_close(&r->out_w);
	jshim_close(&r->in_r);
}
