/* report.h: the sync-pipe report, its status sentence, and the fallback exit file. */
#ifndef JSHIM_REPORT_H
#define JSHIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

/* What phase 1 (waiting for the runtime) saw. */
struct jshim_phase1 {
	int runtime_status;   /* raw wait status of the runtime */
	bool container_died;  /* a non-runtime child was reaped during phase 1 */
	int container_status; /* its raw wait status */
	int inflight_signal;  /* last signal that found the runtime gone, or 0 */
};

/* "Runtime Exited with code 3." etc. (shimmy contract, section 4). 0 or -ENOSPC. */
int jshim_status_sentence(char *buf, size_t len, const struct jshim_phase1 *p);
/* "SIGKILL", or "signal 40" when the signal has no abbreviation. */
void jshim_signal_name(int sig, char *buf, size_t len);

void jshim_report_pid(struct jshim_buf *b, pid_t pid);
void jshim_report_failure(struct jshim_buf *b, const char *status, const char *err, size_t errlen);
/* Writes the report fully, then closes *fd (set to -1). EPIPE is logged and returned, the
 * caller keeps serving. 0 or -errno. */
int jshim_report_send(int *fd, const struct jshim_buf *b);

/* The shimmy exit-file text for a raw wait status at time `at`. 0 or -ENOSPC. */
int jshim_exit_file_format(char *buf, size_t len, const char *at, int wait_status);
/* Formats with the current time and writes path atomically. 0 or -errno. */
int jshim_exit_file_write(const char *path, int wait_status);
/* conmon's exit status: WEXITSTATUS, 128 + signal, -1 when --timeout killed it. */
int jshim_conmon_status(int wait_status, bool timed_out);
/* The exit file in format (JSHIM_EXIT_SHIMMY_JSON with the current time, or
 * JSHIM_EXIT_CONMON_CODE: bare decimal, no newline), written atomically as name inside the
 * directory dirfd (a unique O_EXCL|O_NOFOLLOW temp name, then renameat). 0 or -errno. */
int jshim_exit_file_write_at(int dirfd, const char *name, uint32_t format, int wait_status, bool timed_out);
/* The same, the shimmy JSON stamped with exit_time_ns (CLOCK_REALTIME of the reap; 0 = now), in
 * the daemon's format (jshim_rfc3339_utc), so the file reads the same whoever writes it. */
int jshim_exit_file_write_at_time(int dirfd, const char *name, uint32_t format, int wait_status, bool timed_out,
				  int64_t exit_time_ns);
/* The daemon's exit-file time format (Rfc3339.java, chrono's to_rfc3339): UTC, the fraction
 * with 0, 3, 6 or 9 digits, "+00:00". 0 or -ENOSPC/-errno. */
int jshim_rfc3339_utc(char *buf, size_t len, int64_t ns);
/* Atomic write of data as name in dirfd (same temp + renameat scheme). 0 or -errno. */
int jshim_write_at_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

#endif
