/* hand_fds.h: the v2 HELLO's fields, strings and fd list from the launcher's state. */
#ifndef JSHIM_HAND_FDS_H
#define JSHIM_HAND_FDS_H

#include "config.h"
#include "container_fds.h"
#include "jshim_protocol.h"

/* Fills h's flags, formats, log_size_max, log_global_size_max and nfds, the 5 strings and
 * fds[] in the header's order: journal, stdout, stdout spool, stderr, stderr spool, exit dir,
 * then stdin, log dir, attach listener, journald socket, each only with its flag (an fd that
 * is -1 has no flag).
 * State, pids, exit fields and session id are the caller's. Returns h->nfds. */
unsigned jshim_hello2_fill(const struct jshim_config *cfg, const struct jshim_container_fds *f,
			   struct jshim_hello2 *h, int fds[JSHIM_MAX_FDS],
			   const char *strs[JSHIM_HELLO2_NSTRINGS]);

#endif
