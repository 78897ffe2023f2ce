/* oom.c: the memory cgroup of the container and its oom_kill counter, read at start and at reap. */
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int jshim_oom_parse_count(const char *text, uint64_t *count)
{
	static const char key[] = "oom_kill ";
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, sizeof key - 1) != 0)
			continue;
		const char *p = line + sizeof key - 1;
		uint64_t v = 0;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return -EINVAL;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (*p != '\n' && *p != '\0')
			return -EINVAL;
		*count = v;
		return 0;
	}
	return -ENOENT;
}

/* Copies the next space-separated field of a mountinfo line, decoding \ooo escapes. */
static const char *mi_field(const char *p, char *out, size_t len)
{
	size_t o = 0;
	while (*p == ' ')
		p++;
	while (*p && *p != ' ' && *p != '\n') {
		char c = *p++;
		if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (o + 1 < len)
			out[o++] = c;
	}
	if (len)
		out[o] = '\0';
	return p;
}

/* Does the comma-separated list [s, s+n) contain word? */
static bool has_word(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);
	const char *end = s + n;
	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		size_t l = c ? (size_t)(c - s) : (size_t)(end - s);
		if (l == wl && memcmp(s, word, wl) == 0)
			return true;
		s += l + 1;
	}
	return false;
}

/* The cgroup path of the hierarchy with controller ctrl ("" = the v2 "0::" line). */
static int proc_cgroup_path(const char *text, const char *ctrl, char *out, size_t len)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *c1 = strchr(line, ':'), *nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		if (c1 == NULL || c1 > nl)
			continue;
		const char *c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1));
		if (c2 == NULL)
			continue;
		bool match = *ctrl ? has_word(c1 + 1, (size_t)(c2 - c1 - 1), ctrl)
				   : (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1);
		if (!match)
			continue;
		size_t n = (size_t)(nl - c2 - 1);
		if (n == 0 || c2[1] != '/' || n >= len)
			return -ENOENT;
		memcpy(out, c2 + 1, n);
		out[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* mountpoint + the part of path below the mount's root. Returns 1 when root is a prefix of path
 * (or "/"), 0 when path is merely appended (namespace-relative path), -ENAMETOOLONG. */
static int join_mount(const char *mnt, const char *root, const char *path, char *out, size_t len)
{
	size_t rl = strlen(root);
	const char *rest = path;
	int exact = 1;
	if (strcmp(root, "/") != 0) {
		if (strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0'))
			rest = path + rl;
		else
			exact = 0;
	}
	if (strcmp(rest, "/") == 0)
		rest = "";
	int n = snprintf(out, len, "%s%s", mnt, rest);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return exact;
}

int jshim_cgroup_find(const char *proc_cgroup, const char *mountinfo, bool *v2, char *out, size_t len)
{
	char path[PATH_MAX];
	for (int want_v2 = 0; want_v2 <= 1; want_v2++) {
		if (proc_cgroup_path(proc_cgroup, want_v2 ? "" : "memory", path, sizeof path) < 0)
			continue;
		bool found = false;
		for (const char *line = mountinfo; line && *line;
		     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
			char root[PATH_MAX], mnt[PATH_MAX], f[64];
			const char *p = line;
			p = mi_field(p, f, sizeof f); /* mount id */
			p = mi_field(p, f, sizeof f); /* parent id */
			p = mi_field(p, f, sizeof f); /* major:minor */
			p = mi_field(p, root, sizeof root);
			p = mi_field(p, mnt, sizeof mnt);
			const char *nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			const char *sep = strstr(p, " - ");
			if (sep == NULL || sep > nl)
				continue;
			char fstype[32], source[PATH_MAX];
			const char *q = mi_field(sep + 3, fstype, sizeof fstype);
			q = mi_field(q, source, sizeof source);
			while (*q == ' ')
				q++;
			if (want_v2 ? strcmp(fstype, "cgroup2") != 0
				    : strcmp(fstype, "cgroup") != 0 || !has_word(q, (size_t)(nl - q), "memory"))
				continue;
			char dir[PATH_MAX];
			int r = join_mount(mnt, root, path, dir, sizeof dir);
			if (r < 0 || (found && r == 0))
				continue;
			if (strlen(dir) >= len)
				return -ENAMETOOLONG;
			strcpy(out, dir);
			*v2 = want_v2;
			found = true;
			if (r == 1)
				break; /* the mount whose root contains the path wins */
		}
		if (found)
			return 0;
	}
	return -ENOENT;
}

/* Reads a whole /proc file (NUL-terminated, *out malloc'ed). 0 or -errno. */
static int read_text(const char *path, char **out)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {
			char *b = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
			if (b == NULL)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0) {
			buf[len] = '\0';
			*out = buf;
			return 0;
		}
		len += (size_t)n;
	}
	free(buf);
	return -ENOMEM;
}

static int read_count(int fd, uint64_t *count)
{
	char buf[1024];
	ssize_t n;
	do
		n = pread(fd, buf, sizeof buf - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return jshim_oom_parse_count(buf, count);
}

int jshim_oom_watch(struct jshim_oom *o, pid_t pid)
{
	o->fd = -1;
	o->v2 = false;
	o->base = 0;
	char path[64], dir[PATH_MAX], file[PATH_MAX + 32];
	char *cg = NULL, *mi = NULL;
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	int r = read_text(path, &cg);
	if (r < 0) {
		log_warn("oom: read %s: %s", path, strerror(-r));
		return r;
	}
	r = read_text("/proc/self/mountinfo", &mi);
	if (r < 0) {
		log_warn("oom: read /proc/self/mountinfo: %s", strerror(-r));
		free(cg);
		return r;
	}
	r = jshim_cgroup_find(cg, mi, &o->v2, dir, sizeof dir);
	free(cg);
	free(mi);
	if (r < 0) {
		log_warn("oom: no memory cgroup found for pid %d: %s", (int)pid, strerror(-r));
		return r;
	}
	snprintf(file, sizeof file, "%s/%s", dir, o->v2 ? "memory.events" : "memory.oom_control");
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_warn("oom: open %s: %s", file, strerror(-r));
		return r;
	}
	r = read_count(fd, &o->base);
	if (r < 0) {
		log_warn("oom: read oom_kill from %s: %s", file, strerror(-r));
		close(fd);
		return r;
	}
	o->fd = fd;
	log_debug("oom: watching %s (oom_kill %llu)", file, (unsigned long long)o->base);
	return 0;
}

bool jshim_oom_check(struct jshim_oom *o)
{
	uint64_t now;
	if (o->fd < 0)
		return false;
	int r = read_count(o->fd, &now);
	if (r < 0) {
		log_warn("oom: read oom_kill again: %s", strerror(-r));
		return false;
	}
	return now > o->base;
}

void jshim_oom_close(struct jshim_oom *o)
{
	jshim_close(&o->fd);
}

void jshim_oom_write_files(const char *bundle, const char *persist_dir)
{
	const char *dirs[2] = { bundle, persist_dir };
	for (int i = 0; i < 2; i++) {
		if (dirs[i] == NULL)
			continue;
		char path[PATH_MAX];
		int n = snprintf(path, sizeof path, "%s/oom", dirs[i]);
		if (n < 0 || (size_t)n >= sizeof path) {
			log_warn("oom: path %s/oom too long", dirs[i]);
			continue;
		}
		int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			log_warn("oom: create %s: %s", path, strerror(errno));
		else
			close(fd);
	}
}
