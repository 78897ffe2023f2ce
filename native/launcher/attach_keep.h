/* attach_keep.h: the launcher's duplicates of attach clients, so that they stay connected while
 * no daemon runs (ATTACH_CLIENT, ATTACH_CLIENT_GONE, HELLO's JSHIM_HELLO_ATTACH_CLIENTS). */
#ifndef JSHIM_ATTACH_KEEP_H
#define JSHIM_ATTACH_KEEP_H

#include <stdint.h>

#include "jshim_protocol.h"

/* Zeroed = empty. Owns fd[0..n). */
struct jshim_attach_keep {
	unsigned n;
	uint32_t token[JSHIM_MAX_ATTACH_CLIENTS];
	int fd[JSHIM_MAX_ATTACH_CLIENTS];
};

/* ATTACH_CLIENT: takes ownership of fd. A token already kept has its old fd closed; when the
 * table is full the fd is closed at once (logged: that client gets EOF if the daemon dies). */
void jshim_attach_keep_add(struct jshim_attach_keep *k, uint32_t token, int fd);
/* ATTACH_CLIENT_GONE: closes the copy of that token (an unknown token is ignored). */
void jshim_attach_keep_gone(struct jshim_attach_keep *k, uint32_t token);
/* For a HELLO: with clients kept, sets JSHIM_HELLO_ATTACH_CLIENTS (only when h has
 * JSHIM_HELLO_ATTACH), appends their fds at fds[h->nfds..] and their tokens to tokens[],
 * and adds them to h->nfds. The fds stay owned by k. Returns the number of tokens. */
unsigned jshim_attach_keep_hand(const struct jshim_attach_keep *k, struct jshim_hello2 *h,
				int fds[JSHIM_MAX_FDS], uint32_t tokens[JSHIM_MAX_ATTACH_CLIENTS]);
/* After DONE (or any exit): closes every kept copy. */
void jshim_attach_keep_close_all(struct jshim_attach_keep *k);

#endif
