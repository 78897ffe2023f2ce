/* hand_fds.c: what a v2 HELLO hands over, in the protocol's order. */
#include "hand_fds.h"

#include <string.h>

unsigned jshim_hello2_fill(const struct jshim_config *cfg, const struct jshim_container_fds *f,
			   struct jshim_hello2 *h, int fds[JSHIM_MAX_FDS],
			   const char *strs[JSHIM_HELLO2_NSTRINGS])
{
	unsigned n = 0;
	bool conmon = cfg->dialect == JSHIM_DIALECT_CONMON;
	for (int i = JSHIM_FD_JOURNAL; i <= JSHIM_FD_STDERR_SPOOL; i++)
		fds[n++] = f->fd[i];
	fds[n++] = f->fd[JSHIM_CFD_EXIT_DIR];
	h->flags = 0;
	if (f->fd[JSHIM_CFD_STDIN] >= 0) {
		h->flags |= JSHIM_HELLO_STDIN;
		fds[n++] = f->fd[JSHIM_CFD_STDIN];
	}
	/* -t: a client's EOF (podman's detach) must leave the pty's input open */
	if (conmon ? cfg->stdin_open && !cfg->leave_stdin_open && !cfg->terminal : cfg->stdin_once)
		h->flags |= JSHIM_HELLO_STDIN_ONCE;
	if (f->fd[JSHIM_CFD_LOG_DIR] >= 0) {
		h->flags |= JSHIM_HELLO_LOG_FILE;
		fds[n++] = f->fd[JSHIM_CFD_LOG_DIR];
		if (cfg->no_sync_log)
			h->flags |= JSHIM_HELLO_NO_SYNC_LOG;
	}
	if (f->fd[JSHIM_CFD_ATTACH] >= 0) {
		h->flags |= JSHIM_HELLO_ATTACH;
		fds[n++] = f->fd[JSHIM_CFD_ATTACH];
	}
	if (f->fd[JSHIM_CFD_JOURNALD] >= 0) {
		h->flags |= JSHIM_HELLO_LOG_JOURNALD;
		fds[n++] = f->fd[JSHIM_CFD_JOURNALD];
	}
	h->log_format = cfg->log_format;
	h->exit_format = cfg->exit_format;
	h->attach_format = (h->flags & JSHIM_HELLO_ATTACH) ? cfg->attach_format : 0;
	h->log_size_max = cfg->log_size_max > 0 ? (uint64_t)cfg->log_size_max : 0;
	h->log_global_size_max = cfg->log_global_size_max > 0 ? (uint64_t)cfg->log_global_size_max : 0;
	h->nfds = n;
	strs[0] = cfg->container_id;
	strs[1] = cfg->name ? cfg->name : "";
	strs[2] = (h->flags & JSHIM_HELLO_LOG_FILE) && f->log_name ? f->log_name : "";
	strs[3] = f->exit_name ? f->exit_name : "";
	strs[4] = cfg->log_tag ? cfg->log_tag : "";
	return n;
}
