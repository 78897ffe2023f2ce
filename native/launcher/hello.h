/* hello.h: encoding and decoding of protocol v2 packets (jshim_protocol.h). */
#ifndef JSHIM_HELLO_H
#define JSHIM_HELLO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jshim_protocol.h"

/* Encodes a v2 HELLO (header + struct jshim_hello2 + 5 strings, empty allowed, then with
 * JSHIM_HELLO_ATTACH_CLIENTS the u32 count and the ntokens tokens) into buf. Returns its
 * length, -EMSGSIZE if it does not fit cap / JSHIM_MSG_MAX or a string is longer than 65535
 * bytes, -EINVAL if ntokens does not match the flag or exceeds JSHIM_MAX_ATTACH_CLIENTS. */
ssize_t jshim_hello2_encode(void *buf, size_t cap, const struct jshim_hello2 *h,
			    const char *const strings[JSHIM_HELLO2_NSTRINGS], const uint32_t *tokens,
			    unsigned ntokens);
/* Sends a v2 HELLO with h->nfds fds as SCM_RIGHTS (the attach clients' last). 0 or -errno. */
int jshim_hello2_send(int sock, const struct jshim_hello2 *h,
		      const char *const strings[JSHIM_HELLO2_NSTRINGS], const int *fds,
		      const uint32_t *tokens, unsigned ntokens);
/* EXITED v2 (struct jshim_exited2). 0 or -errno. */
int jshim_exited2_send(int sock, const struct jshim_exited2 *e);
/* REOPEN_LOG (v2, no payload). 0 or -errno. */
int jshim_reopen_log_send(int sock);

/* A daemon -> launcher message. */
struct jshim_dmsg {
	uint16_t type;
	int32_t err;    /* FAILED: errno */
	char text[512]; /* FAILED: message, NUL-terminated, truncated */
	uint32_t token; /* ATTACH_CLIENT, ATTACH_CLIENT_GONE */
	int fd;         /* ATTACH_CLIENT: the client's duplicate, now the caller's; else -1 */
};

/* Decodes one packet (fd -1). 0 or -EPROTO (bad length, a version other than 2, unknown
 * type, or a launcher-bound type). */
int jshim_msg_decode(const void *buf, size_t n, struct jshim_dmsg *m);
/* Receives one packet without blocking. 0, -EAGAIN (nothing yet), -ECONNRESET (peer
 * closed), -EPROTO (malformed, truncated, or carrying fds other than ATTACH_CLIENT's exactly
 * one; those fds are closed). */
int jshim_msg_recv(int sock, struct jshim_dmsg *m);

#endif
