/* sync_msg.h: conmon's one-line JSON records on the sync and attach pipes. */
#ifndef JSHIM_SYNC_MSG_H
#define JSHIM_SYNC_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Podman reads a record with a 4096-byte buffer: every record stays below this. */
#define JSHIM_SYNC_MAX 4096

/* "data" for api_version 1 (podman), "pid" for 0 (CRI-O). */
const char *jshim_sync_key(int api_version);
/* One record: {"<key>": <value>}\n or {"<key>": <value>, "message": "<msg>"}\n (one space after
 * each colon and comma). msg is JSON-escaped (\\ \" \n \t, other control bytes \u00XX, invalid
 * UTF-8 as \ufffd) and cut, never inside an escape or a UTF-8 sequence, so the record is
 * < 4096 bytes. msg may be NULL. Returns the length written into buf (cap >= 4096). */
size_t jshim_sync_format(char *buf, size_t cap, const char *key, int64_t value, const char *msg, size_t msglen);
/* Formats and sends the record with ONE write (EINTR retried). 0, or -errno (-EPIPE when the
 * reader is gone: callers ignore it). */
int jshim_sync_send(int fd, const char *key, int64_t value, const char *msg, size_t msglen);

#endif
