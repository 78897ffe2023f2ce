/* sync_msg.c: {"data": N} / {"pid": N} / {"exit_code": N} records, optionally with a message. */
#include "sync_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

const char *jshim_sync_key(int api_version)
{
	return api_version >= 1 ? "data" : "pid";
}

/* Length of the valid UTF-8 sequence at s (2..4 bytes for a lead byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0)
		n = 2, cp = c & 0x1fu, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0fu, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, cp = c & 0x07u, min = 0x10000;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Escapes msg into out (at most room bytes), stopping before a unit that does not fit.
 * Returns the number of bytes written. */
static size_t escape_cut(char *out, size_t room, const char *msg, size_t msglen)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t o = 0, i = 0;
	while (i < msglen) {
		char tmp[8];
		const char *unit = tmp;
		size_t ulen, used = 1;
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\', tmp[1] = (char)c, ulen = 2;
		} else if (c == '\n') {
			memcpy(tmp, "\\n", 2), ulen = 2;
		} else if (c == '\t') {
			memcpy(tmp, "\\t", 2), ulen = 2;
		} else if (c < 0x20) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c), ulen = 6;
		} else if (c < 0x80) {
			tmp[0] = (char)c, ulen = 1;
		} else if ((used = utf8_len(p + i, msglen - i)) > 0) {
			unit = msg + i, ulen = used;
		} else {
			memcpy(tmp, "\\ufffd", 6), ulen = 6, used = 1;
		}
		if (ulen > room - o)
			break;
		memcpy(out + o, unit, ulen);
		o += ulen;
		i += used;
	}
	return o;
}

size_t jshim_sync_format(char *buf, size_t cap, const char *key, int64_t value, const char *msg, size_t msglen)
{
	if (cap == 0)
		return 0;
	size_t limit = cap < JSHIM_SYNC_MAX ? cap : JSHIM_SYNC_MAX; /* record + NUL fit in limit */
	int n = snprintf(buf, limit, "{\"%s\": %" PRId64, key, value);
	if (n < 0 || (size_t)n + 3 >= limit) { /* cannot happen with our keys and cap >= 4096 */
		buf[0] = '\0';
		return 0;
	}
	size_t len = (size_t)n;
	static const char mhead[] = ", \"message\": \"";
	if (msg != NULL && len + (sizeof mhead - 1) + 4 < limit) {
		memcpy(buf + len, mhead, sizeof mhead - 1);
		len += sizeof mhead - 1;
		/* leave room for "}\n and the NUL */
		len += escape_cut(buf + len, limit - len - 4, msg, msglen);
		buf[len++] = '"';
	}
	buf[len++] = '}';
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

int jshim_sync_send(int fd, const char *key, int64_t value, const char *msg, size_t msglen)
{
	char buf[JSHIM_SYNC_MAX];
	size_t len = jshim_sync_format(buf, sizeof buf, key, value, msg, msglen);
	ssize_t w;
	do
		w = write(fd, buf, len);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		int e = errno;
		if (e == EPIPE)
			log_debug("write sync fd %d: reader gone", fd);
		else
			log_warn("write sync fd %d (%s %" PRId64 "): %s", fd, key, value, strerror(e));
		return -e;
	}
	if ((size_t)w != len) { /* a stream socket may take less; a record must not be split */
		log_warn("write sync fd %d: short write %zd of %zu bytes", fd, w, len);
		return -EIO;
	}
	return 0;
}
