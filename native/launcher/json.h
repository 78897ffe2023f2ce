/* json.h: a growable byte buffer and JSON string escaping. */
#ifndef JSHIM_JSON_H
#define JSHIM_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct jshim_buf {
	char *data; /* NUL-terminated when non-NULL */
	size_t len, cap;
	bool oom;   /* an append failed; the content is incomplete */
};

void jshim_buf_free(struct jshim_buf *b);
void jshim_buf_append(struct jshim_buf *b, const void *data, size_t len);
void jshim_buf_puts(struct jshim_buf *b, const char *s);
void jshim_buf_printf(struct jshim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "..." : '"' and '\\' escaped, control bytes as \u00XX, every byte that is not part
 * of a valid UTF-8 sequence as \ufffd. */
void jshim_json_string(struct jshim_buf *b, const char *s, size_t len);

#endif
