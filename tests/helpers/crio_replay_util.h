/* crio_replay_util.h: helpers of crio-replay (tests/helpers/crio_replay.c). */
#ifndef CRIO_REPLAY_UTIL_H
#define CRIO_REPLAY_UTIL_H

#include <stddef.h>
#include <stdio.h>

#define BUF_MAX (1 << 20)

struct buf {
	char *data;
	size_t len;
};

/* Prints "crio-replay: <what>: <strerror(errno)>" and exits 125. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
long now_ms(void);
/* Appends n bytes (b holds at most BUF_MAX bytes; the rest is dropped). */
void buf_add(struct buf *b, const char *p, size_t n);
/* Reads what fd has now into b; returns 1 at EOF, 0 otherwise. */
int drain(int fd, struct buf *b);
/* Index just past the first complete JSON object/array in s[0..n), or 0 if incomplete. */
size_t json_end(const char *s, size_t n, int *bad);
/* Writes "key": "<b escaped>" (and ", " if comma). */
void put_str(FILE *f, const char *key, const struct buf *b, int comma);
/* Whether the file at path contains text (first BUF_MAX bytes). */
int log_contains(const char *path, const char *text);

#endif
