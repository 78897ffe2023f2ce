/* container_fds.h: the fds the launcher owns for the container's life (protocol FD order). */
#ifndef JSHIM_CONTAINER_FDS_H
#define JSHIM_CONTAINER_FDS_H

#include <stdbool.h>
#include <stdint.h>

#define JSHIM_NFDS 6

struct jshim_container_fds {
	int fd[JSHIM_NFDS]; /* indexed by JSHIM_FD_*; -1 when absent */
};

void jshim_container_fds_init(struct jshim_container_fds *f);
void jshim_container_fds_close(struct jshim_container_fds *f);
/* The journal (zeroed, magic + version) and the two spool memfds. 0 or -errno. */
int jshim_memfds_create(struct jshim_container_fds *f);
/* Reads the journal's flags word. 0 or -errno. */
int jshim_journal_flags(int journal_fd, uint32_t *flags);
/* Atomically ORs flag into the journal's flags word (shared with the daemon's mapping). */
int jshim_journal_set_flag(int journal_fd, uint32_t flag);

#endif
