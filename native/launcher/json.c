/* json.c: JSON output for the sync-pipe report. */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jshim_buf_free(struct jshim_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void jshim_buf_append(struct jshim_buf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void jshim_buf_puts(struct jshim_buf *b, const char *s)
{
	jshim_buf_append(b, s, strlen(s));
}

void jshim_buf_printf(struct jshim_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->oom = true;
		return;
	}
	jshim_buf_append(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void jshim_json_string(struct jshim_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	jshim_buf_append(b, "\"", 1);
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			jshim_buf_append(b, esc, 2);
			i++;
		} else if (c < 0x20) {
			jshim_buf_printf(b, "\\u%04x", c);
			i++;
		} else {
			size_t n = utf8_seq(p + i, len - i);
			if (n == 0) {
				jshim_buf_puts(b, "\\ufffd");
				i++;
			} else {
				jshim_buf_append(b, p + i, n);
				i += n;
			}
		}
	}
	jshim_buf_append(b, "\"", 1);
}
