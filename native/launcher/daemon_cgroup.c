/* daemon_cgroup.c: the daemon leaves the launcher's cgroup for one of its own.
 *
 * A launcher started by podman sits in /libpod_parent/conmon (cgroupfs) or a
 * libpod-conmon-<id>.scope (systemd); one started by CRI-O in crio-conmon-<id>.scope, which
 * systemd stops with SIGPIPE and then SIGKILL. A jshimd forked from there would die with the
 * first container's scope, taking every container's log and attach with it. So the daemon
 * child moves itself to <mount>/jshimd in every hierarchy before it executes jshimd. Where
 * systemd runs and the unit is installed, daemon_link.c asks systemd instead. */
#include "daemon_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. In place. */
static void unescape(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/* True if every comma-separated word of want is one of the comma-separated options. */
static bool has_all_options(const char *options, const char *want)
{
	char wbuf[256], obuf[1024];
	snprintf(wbuf, sizeof wbuf, "%s", want);
	char *wsave = NULL;
	for (char *w = strtok_r(wbuf, ",", &wsave); w; w = strtok_r(NULL, ",", &wsave)) {
		bool found = false;
		snprintf(obuf, sizeof obuf, "%s", options);
		char *osave = NULL;
		for (char *o = strtok_r(obuf, ",", &osave); o && !found; o = strtok_r(NULL, ",", &osave))
			found = strcmp(o, w) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The mount point of the hierarchy: cgroup2 if controllers is NULL, else the v1 mount whose
 * super options name every controller ("cpu,cpuacct", "name=systemd"). 0 or -ENOENT. */
static int find_mount(const char *controllers, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL) {
		int e = errno;
		log_warn("open /proc/self/mountinfo: %s", strerror(e));
		return -e;
	}
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;
	while (r < 0 && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
		char *save = NULL, *field[5] = { 0 };
		char *sep = strstr(line, " - ");
		if (sep == NULL)
			continue;
		*sep = '\0';
		char *tok = strtok_r(line, " ", &save);
		for (int i = 0; i < 5 && tok; i++, tok = strtok_r(NULL, " ", &save))
			field[i] = tok;
		save = NULL;
		char *fstype = strtok_r(sep + 3, " ", &save);
		char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
		char *superopts = source ? strtok_r(NULL, " ", &save) : NULL;
		if (field[4] == NULL || fstype == NULL)
			continue;
		if (controllers == NULL ? strcmp(fstype, "cgroup2") != 0
					: strcmp(fstype, "cgroup") != 0 || superopts == NULL ||
						  !has_all_options(superopts, controllers))
			continue;
		unescape(field[4]);
		if (snprintf(out, len, "%s", field[4]) < (int)len)
			r = 0;
	}
	free(line);
	fclose(f);
	return r;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd cleanup_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int write_small(const char *path, const char *data)
{
	int fd cleanup_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return jshim_write_all(fd, data, strlen(data));
}

/* A new cpuset cgroup has empty cpus and mems, and takes no task until they are set. */
static void cpuset_init(const char *mount, const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char mine[PATH_MAX + 32], parent[PATH_MAX + 32], value[4096];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (snprintf(mine, sizeof mine, "%s/%s", dir, files[i]) >= (int)sizeof mine ||
		    snprintf(parent, sizeof parent, "%s/%s", mount, files[i]) >= (int)sizeof parent)
			continue;
		int n = read_small(mine, value, sizeof value);
		if (n < 0 || strspn(value, " \n") != (size_t)n)
			continue; /* unreadable (the move reports it) or already set */
		int r = read_small(parent, value, sizeof value);
		if (r < 0) {
			log_warn("read %s: %s", parent, strerror(-r));
			continue;
		}
		r = write_small(mine, value);
		if (r < 0)
			log_warn("write %s: %s", mine, strerror(-r));
	}
}

/* 0 or -errno; logs. */
static int move_to(const char *mount, bool cpuset)
{
	char dir[PATH_MAX], procs[PATH_MAX + 16], pid[32];
	if (snprintf(dir, sizeof dir, "%s/%s", mount, JSHIM_DAEMON_CGROUP) >= (int)sizeof dir)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		log_warn("mkdir %s: %s", dir, strerror(e));
		return -e;
	}
	if (cpuset)
		cpuset_init(mount, dir);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	int r = write_small(procs, pid);
	if (r < 0)
		log_warn("write %d to %s: %s", (int)getpid(), procs, strerror(-r));
	return r;
}

int jshim_cgroup_move_own(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (f == NULL) {
		log_warn("open /proc/self/cgroup: %s; the daemon stays in the launcher's cgroup",
			 strerror(errno));
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	int failed = 0;
	while (getline(&line, &cap, f) > 0) {
		/* "hierarchy-id:controllers:path"; v2 is "0::path" */
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c1 = *c2 = '\0';
		const char *controllers = c1 + 1;
		bool v2 = strcmp(line, "0") == 0 && *controllers == '\0';
		if (!v2 && *controllers == '\0')
			continue; /* a v1 hierarchy without controllers or name: nothing to match */
		char mount[PATH_MAX];
		if (find_mount(v2 ? NULL : controllers, mount, sizeof mount) < 0) {
			log_warn("cgroup %s (%s): no mount point in /proc/self/mountinfo; the daemon stays in %s",
				 v2 ? "v2" : controllers, line, c2 + 1);
			failed++;
			continue;
		}
		if (move_to(mount, !v2 && has_all_options(controllers, "cpuset")) < 0)
			failed++;
	}
	free(line);
	fclose(f);
	return failed;
}

bool jshim_systemd_unit_installed(const char *unit)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/run/systemd/system",
					    "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
					    "/lib/systemd/system" };
	char path[PATH_MAX];
	if (access("/run/systemd/system", F_OK) < 0)
		return false;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dirs[i], unit);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}
