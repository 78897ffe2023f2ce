/* hello.h: encoding and decoding of protocol packets (jshim_protocol.h). */
#ifndef JSHIM_HELLO_H
#define JSHIM_HELLO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jshim_protocol.h"

/* Encodes a HELLO packet (header + struct + 4 strings) into buf. Returns its length, or
 * -EMSGSIZE if it does not fit cap / JSHIM_MSG_MAX or a string is longer than 65535. */
ssize_t jshim_hello_encode(void *buf, size_t cap, const struct jshim_hello *h,
			   const char *const strings[JSHIM_HELLO_NSTRINGS]);
/* Sends HELLO with fds (h->nfds of them) as SCM_RIGHTS. 0 or -errno. */
int jshim_hello_send(int sock, const struct jshim_hello *h,
		     const char *const strings[JSHIM_HELLO_NSTRINGS], const int *fds);
int jshim_exited_send(int sock, int32_t wait_status);

/* A daemon -> launcher message. */
struct jshim_dmsg {
	uint16_t type;
	int32_t err;    /* FAILED: errno */
	char text[512]; /* FAILED: message, NUL-terminated, truncated */
};

/* Decodes one packet. 0 or -EPROTO (bad length, version, type, or a launcher-bound type). */
int jshim_msg_decode(const void *buf, size_t n, struct jshim_dmsg *m);
/* Receives one packet without blocking. 0, -EAGAIN (nothing yet), -ECONNRESET (peer
 * closed), -EPROTO (malformed, truncated or carrying fds; those fds are closed). */
int jshim_msg_recv(int sock, struct jshim_dmsg *m);

#endif
