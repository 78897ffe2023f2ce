/* test_exit_claim: the launcher's side of the exit file claim in the journal (issue 11). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "container_fds.h"
#include "jshim_protocol.h"

static uint32_t *map_flags(int fd)
{
	void *j = mmap(NULL, JSHIM_JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return j == MAP_FAILED ? NULL : (uint32_t *)((char *)j + JSHIM_JOURNAL_OFF_FLAGS);
}

int main(void)
{
	struct jshim_container_fds f;
	enum jshim_exit_claim c;
	jshim_container_fds_init(&f);
	CHECK(jshim_memfds_create(&f) == 0);
	uint32_t *flags = map_flags(f.fd[JSHIM_FD_JOURNAL]);
	CHECK(flags != NULL);
	if (flags == NULL)
		return check_result("test_exit_claim");

	/* nobody claimed: the launcher takes it, keeping the daemon's other bits */
	*flags = JSHIM_JOURNAL_LOG_OPENED;
	CHECK(jshim_journal_claim_exit(f.fd[JSHIM_FD_JOURNAL], false, &c) == 0 && c == JSHIM_CLAIM_OURS);
	CHECK(*flags == (JSHIM_JOURNAL_LOG_OPENED | JSHIM_JOURNAL_EXIT_TAKEN));
	/* taken once, ours again (a second fallback attempt) */
	CHECK(jshim_journal_claim_exit(f.fd[JSHIM_FD_JOURNAL], false, &c) == 0 && c == JSHIM_CLAIM_OURS);

	/* a READY daemon claimed it: the launcher does not take it */
	*flags = JSHIM_JOURNAL_LOG_OPENED | JSHIM_JOURNAL_EXIT_CLAIMED;
	CHECK(jshim_journal_claim_exit(f.fd[JSHIM_FD_JOURNAL], false, &c) == 0 && c == JSHIM_CLAIM_DAEMON);
	CHECK((*flags & JSHIM_JOURNAL_EXIT_TAKEN) == 0);
	/* the claimant is gone (not READY on our connection): stale, the launcher takes it */
	CHECK(jshim_journal_claim_exit(f.fd[JSHIM_FD_JOURNAL], true, &c) == 0 && c == JSHIM_CLAIM_OURS);
	CHECK((*flags & JSHIM_JOURNAL_EXIT_TAKEN) != 0);

	/* written: nothing to take, even when stealing */
	*flags = JSHIM_JOURNAL_EXIT_CLAIMED | JSHIM_JOURNAL_EXIT_WRITTEN;
	CHECK(jshim_journal_claim_exit(f.fd[JSHIM_FD_JOURNAL], true, &c) == 0 && c == JSHIM_CLAIM_WRITTEN);
	CHECK((*flags & JSHIM_JOURNAL_EXIT_TAKEN) == 0);

	munmap((char *)flags - JSHIM_JOURNAL_OFF_FLAGS, JSHIM_JOURNAL_SIZE);
	jshim_container_fds_close(&f);
	return check_result("test_exit_claim");
}
