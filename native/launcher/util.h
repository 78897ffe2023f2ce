/* util.h: small helpers shared by the launcher's files. */
#ifndef JSHIM_UTIL_H
#define JSHIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

void jshim_closep(int *fd);
#define cleanup_fd __attribute__((cleanup(jshim_closep)))

/* Closes *fd if >= 0 and sets it to -1. */
void jshim_close(int *fd);
/* Writes everything (EINTR, partial writes). 0 or -errno. */
int jshim_write_all(int fd, const void *buf, size_t len);
/* "2024-02-02T10:11:12.123456789+00:00" in local time. 0 or -ENOSPC/-errno. */
int jshim_rfc3339(char *buf, size_t len, const struct timespec *ts);
int64_t jshim_now_ms(void); /* CLOCK_MONOTONIC */
static inline int64_t jshim_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t jshim_max64(int64_t a, int64_t b) { return a > b ? a : b; }
/* The directory part of path ("." if none). 0 or -ENAMETOOLONG. */
int jshim_dirname(const char *path, char *out, size_t len);
/* Creates dir (one level) with mode if missing. 0 or -errno. */
int jshim_ensure_dir(const char *dir, mode_t mode);
/* Temp file in the same directory + rename. 0 or -errno. */
int jshim_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Strict decimal, no sign, no whitespace, fits int. 0 or -EINVAL. */
int jshim_parse_int(const char *s, int *out);
/* /proc/<pid>/stat: the state letter and utime + stime of all threads in ms (tick
 * resolution); 0, or -errno when it cannot be read (-ENOENT: no such process). */
int jshim_proc_stat(pid_t pid, char *state, long *cpu_ms);

#endif
