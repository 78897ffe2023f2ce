/* tty.c: -t in the launcher's flow (see tty.h and docs/DESIGN.md "Terminals"). */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jshim_protocol.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

int jshim_tty_prepare(struct jshim_mon *m, char *why, size_t len)
{
	if (!m->cfg->terminal)
		return 0;
	m->tty = calloc(1, sizeof *m->tty);
	if (m->tty == NULL) {
		snprintf(why, len, "terminal: out of memory");
		return -ENOMEM;
	}
	m->tty->console.listen_fd = -1;
	jshim_relay_init(&m->tty->relay, -1, -1);
	int r = jshim_console_listen(&m->tty->console);
	if (r < 0)
		snprintf(why, len, "create the console socket in $TMPDIR or /tmp: %s", strerror(-r));
	return r;
}

const char *jshim_tty_console_path(const struct jshim_mon *m)
{
	return m->tty != NULL && m->tty->console.path[0] != '\0' ? m->tty->console.path : NULL;
}

int jshim_tty_take_pipes(struct jshim_mon *m, int child[3])
{
	if (m->tty == NULL)
		return 0;
	int in_r = child[0];
	if (in_r < 0) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			int e = errno;
			log_error("pipe2 (tty stdin): %s", strerror(e));
			return -e;
		}
		in_r = p[0];
		jshim_close(&m->fds.fd[JSHIM_CFD_STDIN]);
		m->fds.fd[JSHIM_CFD_STDIN] = p[1];
	}
	/* the runtime's stdin and stdout are /dev/null (the monitor's own); its stderr stays the
	 * stderr pipe, so its error messages are still reported */
	jshim_relay_init(&m->tty->relay, child[1], in_r);
	child[0] = child[1] = -1;
	return 0;
}

void jshim_tty_poll(const struct jshim_mon *m, struct pollfd *pfd)
{
	for (int i = 0; i < JSHIM_TTY_NPOLL; i++)
		pfd[i] = (struct pollfd){ -1, 0, 0 };
	if (m->tty == NULL)
		return;
	pfd[0] = (struct pollfd){ m->tty->console.listen_fd, POLLIN, 0 };
	jshim_relay_poll(&m->tty->relay, pfd + 1);
}

static void accept_master(struct jshim_tty *t)
{
	if (t->console.listen_fd < 0)
		return;
	int master = jshim_console_accept(&t->console);
	if (master == -EAGAIN)
		return;
	if (master < 0) {
		log_error("console socket: no pty master (%s)", strerror(-master));
		return;
	}
	jshim_relay_set_master(&t->relay, master);
	t->have_master = true;
	log_info("pty master received (fd %d)", master);
}

void jshim_tty_ready(struct jshim_mon *m)
{
	if (m->tty == NULL)
		return;
	accept_master(m->tty);
	jshim_relay_pump(&m->tty->relay);
}

int jshim_tty_check_created(struct jshim_mon *m, char *why, size_t len)
{
	if (m->tty == NULL)
		return 0;
	accept_master(m->tty); /* the runtime may have connected just before it exited */
	jshim_console_close(&m->tty->console);
	if (m->tty->have_master)
		return 0;
	snprintf(why, len, "Runtime did not set up terminal (no pty master on the console socket)");
	return -ENOTTY;
}

void jshim_tty_resize(struct jshim_mon *m, int rows, int cols)
{
	if (m->tty == NULL)
		return;
	if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
		log_warn("ctl: resize %d x %d out of range, ignored", rows, cols);
		return;
	}
	jshim_relay_resize(&m->tty->relay, (unsigned short)rows, (unsigned short)cols);
}

bool jshim_tty_output_done(struct jshim_mon *m, int64_t now, int64_t *wake)
{
	if (m->tty == NULL || jshim_relay_done(&m->tty->relay))
		return true;
	if (!m->reaped)
		return false;
	int64_t deadline = m->exited_at + JSHIM_TTY_EIO_MS;
	if (now < deadline) {
		if (*wake > deadline)
			*wake = deadline;
		return false;
	}
	if (!m->tty->relay.master_eof) {
		log_warn("no EIO from the pty master %d ms after the exit (another process holds the "
			 "terminal?): ending its output", JSHIM_TTY_EIO_MS);
		jshim_relay_finish(&m->tty->relay);
	}
	return jshim_relay_done(&m->tty->relay);
}

void jshim_tty_close(struct jshim_mon *m)
{
	if (m->tty == NULL)
		return;
	jshim_console_close(&m->tty->console);
	jshim_relay_close(&m->tty->relay);
	free(m->tty);
	m->tty = NULL;
}
