/* oom.h: OOM-kill detection by the memory cgroup's oom_kill counter (no eventfd). */
#ifndef JSHIM_OOM_H
#define JSHIM_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct jshim_oom { int fd; bool v2; uint64_t base; };

/* Finds pid's memory cgroup from /proc/<pid>/cgroup and /proc/self/mountinfo (cgroup v1
 * "memory" controller, or the v2 unified hierarchy), opens memory.oom_control (v1) or
 * memory.events (v2) O_RDONLY|O_CLOEXEC, keeps the fd and records the "oom_kill N" count.
 * 0 or -errno (then o->fd = -1 and a warning names what failed). */
int jshim_oom_watch(struct jshim_oom *o, pid_t pid);
/* pread()s the counter again from the kept fd: true if oom_kill grew since the watch. */
bool jshim_oom_check(struct jshim_oom *o);
void jshim_oom_close(struct jshim_oom *o);
/* Creates an empty file "oom" in each non-NULL directory (O_CREAT|O_NOFOLLOW, 0644), logging failures. */
void jshim_oom_write_files(const char *bundle, const char *persist_dir);
/* Pure, for tests: the value of the "oom_kill" line. 0 or -EINVAL/-ENOENT. */
int jshim_oom_parse_count(const char *text, uint64_t *count);
/* Pure: the memory cgroup directory of a process given the text of /proc/<pid>/cgroup and of
 * /proc/self/mountinfo (v1 memory controller preferred when mounted, else the v2 "0::" line on
 * a cgroup2 mount). Handles mount roots that are not "/" (cgroup namespaces). 0 or -ENOENT. */
int jshim_cgroup_find(const char *proc_cgroup, const char *mountinfo, bool *v2, char *out, size_t len);

#endif
