/* attach_keep.c: the launcher owns a duplicate of each attach client the daemon accepted; the
 * daemon tells it when a client is gone. */
#include "attach_keep.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void close_copy(int fd, uint32_t token)
{
	if (close(fd) < 0)
		log_warn("close attach client %u (fd %d): %s", (unsigned)token, fd, strerror(errno));
}

static int find(const struct jshim_attach_keep *k, uint32_t token)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->token[i] == token)
			return (int)i;
	return -1;
}

void jshim_attach_keep_add(struct jshim_attach_keep *k, uint32_t token, int fd)
{
	int i = find(k, token);
	if (i >= 0) {
		log_warn("ATTACH_CLIENT: token %u is kept already; replacing its fd", (unsigned)token);
		close_copy(k->fd[i], token);
		k->fd[i] = fd;
		return;
	}
	if (k->n >= JSHIM_MAX_ATTACH_CLIENTS) {
		log_warn("ATTACH_CLIENT: %d attach clients kept already; not keeping client %u (it gets EOF "
			 "if the daemon dies)", JSHIM_MAX_ATTACH_CLIENTS, (unsigned)token);
		close_copy(fd, token);
		return;
	}
	k->token[k->n] = token;
	k->fd[k->n] = fd;
	k->n++;
	log_debug("attach client %u kept (fd %d, %u kept)", (unsigned)token, fd, k->n);
}

void jshim_attach_keep_gone(struct jshim_attach_keep *k, uint32_t token)
{
	int i = find(k, token);
	if (i < 0) {
		log_debug("ATTACH_CLIENT_GONE: token %u is not kept", (unsigned)token);
		return;
	}
	close_copy(k->fd[i], token);
	k->n--;
	k->token[i] = k->token[k->n]; /* order does not matter: HELLO pairs each fd with its token */
	k->fd[i] = k->fd[k->n];
	log_debug("attach client %u gone (%u kept)", (unsigned)token, k->n);
}

unsigned jshim_attach_keep_hand(const struct jshim_attach_keep *k, struct jshim_hello2 *h,
				int fds[JSHIM_MAX_FDS], uint32_t tokens[JSHIM_MAX_ATTACH_CLIENTS])
{
	if (k->n == 0 || !(h->flags & JSHIM_HELLO_ATTACH) || h->nfds + k->n > JSHIM_MAX_FDS)
		return 0;
	h->flags |= JSHIM_HELLO_ATTACH_CLIENTS;
	for (unsigned i = 0; i < k->n; i++) {
		fds[h->nfds + i] = k->fd[i];
		tokens[i] = k->token[i];
	}
	h->nfds += k->n;
	return k->n;
}

void jshim_attach_keep_close_all(struct jshim_attach_keep *k)
{
	for (unsigned i = 0; i < k->n; i++)
		close_copy(k->fd[i], k->token[i]);
	if (k->n > 0)
		log_debug("closed the %u kept attach clients", k->n);
	k->n = 0;
}
