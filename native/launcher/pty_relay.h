/* pty_relay.h: -t. The launcher relays the pty master <-> the container's stdio pipes, so the
 * daemon's pipe -> spool -> journal path (and its restart guarantee) is the same with a tty:
 *   master -> stdout pipe write end   (the daemon splices the read end: everything is stdout)
 *   stdin pipe read end -> master     (the daemon writes attach input into the write end)
 * All fds non-blocking; one bounded buffer per direction; a full buffer stops polling its
 * source (back-pressure reaches the container or the daemon); nothing read is ever dropped
 * while its destination is open. EIO (or EOF) from the master is the normal end: what is
 * buffered is written, then the stdout write end is closed so the daemon sees EOF. */
#ifndef JSHIM_PTY_RELAY_H
#define JSHIM_PTY_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define JSHIM_RELAY_BUF 65536
#define JSHIM_RELAY_NPOLL 3 /* pollfd entries jshim_relay_poll fills */

struct jshim_relay_buf {
	size_t off, len; /* pending bytes are data[off, off + len) */
	char data[JSHIM_RELAY_BUF];
};

struct jshim_pty_relay {
	int master;   /* owned; -1 until jshim_relay_set_master, and after the end */
	int out_w;    /* owned: stdout pipe write end; closed (-1) once the output is drained */
	int in_r;     /* owned: stdin pipe read end; -1 after EOF/error or the end */
	bool master_eof;  /* EIO/EOF read from the master: the slave side is gone */
	bool resize_due;  /* a resize arrived before the master: applied when it arrives */
	unsigned short rows, cols;
	unsigned long long out_bytes, in_bytes; /* totals relayed */
	struct jshim_relay_buf out; /* master -> out_w */
	struct jshim_relay_buf in;  /* in_r -> master */
};

/* Takes ownership of out_w and in_r (either may be -1) and makes them non-blocking. */
void jshim_relay_init(struct jshim_pty_relay *r, int out_w, int in_r);
/* Takes ownership of the (non-blocking) master and applies a queued resize. */
void jshim_relay_set_master(struct jshim_pty_relay *r, int master);
/* TIOCSWINSZ now, or queued until the master arrives (the last size wins). 0 or -errno. */
int jshim_relay_resize(struct jshim_pty_relay *r, unsigned short rows, unsigned short cols);
/* Fills pfd[0..JSHIM_RELAY_NPOLL) (fd -1 where nothing is to be watched). */
void jshim_relay_poll(const struct jshim_pty_relay *r, struct pollfd *pfd);
/* Moves as many bytes as the fds take now, both ways (call after poll, whatever revents). */
void jshim_relay_pump(struct jshim_pty_relay *r);
/* The output is complete: the master hit EIO/EOF, everything read was written, and out_w is
 * closed. Before the master arrived this is false. */
bool jshim_relay_done(const struct jshim_pty_relay *r);
/* Stops reading the master (the container is gone and no EIO came in time): reads what the
 * master holds and fits, closes the master; what is buffered is still written by the next
 * pumps, then out_w is closed (jshim_relay_done). */
void jshim_relay_finish(struct jshim_pty_relay *r);
/* Closes every fd it owns. */
void jshim_relay_close(struct jshim_pty_relay *r);

#endif
