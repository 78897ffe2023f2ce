/* container_fds.h: the fds the launcher owns for the container's life. */
#ifndef JSHIM_CONTAINER_FDS_H
#define JSHIM_CONTAINER_FDS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* fd[] indices: 0..4 are JSHIM_FD_JOURNAL..JSHIM_FD_STDERR_SPOOL of jshim_protocol.h; the rest
 * are this launcher's slots (the v2 wire order is computed from the flags in hand_fds.c). */
enum {
	JSHIM_CFD_STDIN = 5, /* stdin write end, -1 without -i/--stdin or after CLOSE_STDIN */
	JSHIM_CFD_EXIT_DIR,  /* O_PATH dir of the exit file (always, once opened) */
	JSHIM_CFD_LOG_DIR,   /* O_PATH dir of the log file (with a log file) */
	JSHIM_CFD_ATTACH,    /* the bound, listening attach socket */
	JSHIM_CFD_JOURNALD,  /* SOCK_DGRAM connected to the journal */
	JSHIM_CFD_ATTACH_DIR, /* O_PATH dir of the attach socket: unlinkat after DONE (not sent) */
	JSHIM_NFDS
};

struct jshim_container_fds {
	int fd[JSHIM_NFDS]; /* -1 when absent */
	const char *exit_name;   /* names inside the dir fds; they point into cfg's paths */
	const char *log_name;
	const char *attach_name;
	/* owned (malloc'd to their length, not PATH_MAX arrays: this struct lives in the monitor's
	 * frame for the container's whole life), NULL when unset */
	char *attach_link; /* CRI-O mode: <socket-dir>/<cuuid> symlink, removed at the end */
	char *attach_path; /* the path bound (kept so attach_name can point into it) */
	char *exit_tmp;    /* ExecSync (no --exit-dir): <private exit dir>/<cid>, removed at the end */
};

void jshim_container_fds_init(struct jshim_container_fds *f);
/* Closes the fds and frees the paths (the names point into them: call it last). */
void jshim_container_fds_close(struct jshim_container_fds *f);
/* The journal (zeroed, magic + version) and the two spool memfds. 0 or -errno. */
int jshim_memfds_create(struct jshim_container_fds *f);
/* Reads the journal's flags word. 0 or -errno. */
int jshim_journal_flags(int journal_fd, uint32_t *flags);
/* Atomically ORs flag into the journal's flags word (shared with the daemon's mapping). */
int jshim_journal_set_flag(int journal_fd, uint32_t flag);
/* The launcher's side of the exit file claim (jshim_protocol.h): compare-and-swap of
 * EXIT_TAKEN. steal: a daemon's EXIT_CLAIMED is stale (no READY daemon on our connection). */
enum jshim_exit_claim {
	JSHIM_CLAIM_OURS,    /* EXIT_TAKEN is set: the launcher writes the exit file */
	JSHIM_CLAIM_WRITTEN, /* a daemon wrote it (EXIT_WRITTEN) */
	JSHIM_CLAIM_DAEMON,  /* a READY daemon claimed it and is writing it: wait for DONE */
};
/* 0 with *out set, or -errno (the journal cannot be mapped). */
int jshim_journal_claim_exit(int journal_fd, bool steal, enum jshim_exit_claim *out);

#endif
