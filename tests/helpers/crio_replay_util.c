/* crio_replay_util.c: buffers, the streaming JSON value scanner and result output of crio-replay. */
#include "crio_replay_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	fputs("crio-replay: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err));
	va_end(ap);
	exit(125);
}

long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n > BUF_MAX)
		n = BUF_MAX - b->len;
	b->data = realloc(b->data, b->len + n + 1);
	if (b->data == NULL)
		die("realloc");
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Reads what fd has now into b; returns 1 at EOF, 0 otherwise. */
int drain(int fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof tmp);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		die("read fd %d", fd);
	if (n == 0)
		return 1;
	buf_add(b, tmp, (size_t)n);
	return 0;
}

/* Index just past the first complete JSON object/array in s[0..n), or 0 if incomplete. */
size_t json_end(const char *s, size_t n, int *bad)
{
	size_t i = 0;
	int depth = 0, in_str = 0, esc = 0;
	while (i < n && s[i] != '\0' && strchr(" \t\r\n", s[i]) != NULL)
		i++;
	if (i < n && s[i] != '{' && s[i] != '[') {
		*bad = 1;
		return 0;
	}
	for (; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

void put_str(FILE *f, const char *key, const struct buf *b, int comma)
{
	fprintf(f, "\"%s\": \"", key);
	for (size_t i = 0; b->data != NULL && i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fprintf(f, "\"%s", comma ? ", " : "");
}

int log_contains(const char *path, const char *text)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	struct buf b = {0};
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < BUF_MAX)
		buf_add(&b, tmp, n);
	fclose(f);
	int found = b.data != NULL && strstr(b.data, text) != NULL;
	free(b.data);
	return found;
}
