/* memfds.c: the journal and spool memfds handed to the daemon with every HELLO. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "container_fds.h"
#include "jshim_protocol.h"
#include "log.h"
#include "util.h"

void jshim_container_fds_init(struct jshim_container_fds *f)
{
	for (int i = 0; i < JSHIM_NFDS; i++)
		f->fd[i] = -1;
	f->exit_name = f->log_name = f->attach_name = NULL;
	f->attach_link = f->attach_path = f->exit_tmp = NULL;
}

void jshim_container_fds_close(struct jshim_container_fds *f)
{
	for (int i = 0; i < JSHIM_NFDS; i++)
		jshim_close(&f->fd[i]);
	free(f->attach_link);
	free(f->attach_path);
	free(f->exit_tmp);
	f->attach_link = f->attach_path = f->exit_tmp = NULL;
	f->exit_name = f->log_name = f->attach_name = NULL; /* they pointed into the paths */
}

static int make_memfd(const char *name, int *out)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_error("memfd_create %s: %s", name, strerror(e));
		return -e;
	}
	*out = fd;
	return 0;
}

int jshim_memfds_create(struct jshim_container_fds *f)
{
	int r = make_memfd("jshim-journal", &f->fd[JSHIM_FD_JOURNAL]);
	if (r < 0)
		return r;
	if (ftruncate(f->fd[JSHIM_FD_JOURNAL], JSHIM_JOURNAL_SIZE) < 0) {
		r = -errno;
		log_error("ftruncate journal memfd: %s", strerror(-r));
		return r;
	}
	struct jshim_journal j;
	memset(&j, 0, sizeof j);
	j.magic = JSHIM_JOURNAL_MAGIC;
	j.version = JSHIM_JOURNAL_VERSION;
	ssize_t n = pwrite(f->fd[JSHIM_FD_JOURNAL], &j, sizeof j, 0);
	if (n != (ssize_t)sizeof j) {
		r = n < 0 ? -errno : -EIO; /* errno is stale after a short write */
		log_error("pwrite journal memfd: %s", strerror(-r));
		return r;
	}
	r = make_memfd("jshim-stdout-spool", &f->fd[JSHIM_FD_STDOUT_SPOOL]);
	if (r < 0)
		return r;
	return make_memfd("jshim-stderr-spool", &f->fd[JSHIM_FD_STDERR_SPOOL]);
}

int jshim_journal_flags(int journal_fd, uint32_t *flags)
{
	uint32_t v;
	ssize_t n = pread(journal_fd, &v, sizeof v, JSHIM_JOURNAL_OFF_FLAGS);
	if (n != (ssize_t)sizeof v)
		return n < 0 ? -errno : -EIO;
	*flags = v;
	return 0;
}

int jshim_journal_set_flag(int journal_fd, uint32_t flag)
{
	void *j = mmap(NULL, JSHIM_JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, journal_fd, 0);
	if (j == MAP_FAILED) {
		int e = errno;
		log_error("mmap journal: %s", strerror(e));
		return -e;
	}
	uint32_t *flags = (uint32_t *)((char *)j + JSHIM_JOURNAL_OFF_FLAGS);
	__atomic_fetch_or(flags, flag, __ATOMIC_SEQ_CST); /* the daemon ORs into the same word */
	if (munmap(j, JSHIM_JOURNAL_SIZE) < 0)
		log_warn("munmap journal: %s", strerror(errno));
	return 0;
}

int jshim_journal_claim_exit(int journal_fd, bool steal, enum jshim_exit_claim *out)
{
	void *j = mmap(NULL, JSHIM_JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, journal_fd, 0);
	if (j == MAP_FAILED) {
		int e = errno;
		log_error("mmap journal: %s", strerror(e));
		return -e;
	}
	uint32_t *flags = (uint32_t *)((char *)j + JSHIM_JOURNAL_OFF_FLAGS);
	uint32_t f = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
	for (;;) {
		if (f & JSHIM_JOURNAL_EXIT_WRITTEN) {
			*out = JSHIM_CLAIM_WRITTEN;
			break;
		}
		if (f & JSHIM_JOURNAL_EXIT_TAKEN) {
			*out = JSHIM_CLAIM_OURS;
			break;
		}
		if ((f & JSHIM_JOURNAL_EXIT_CLAIMED) && !steal) {
			*out = JSHIM_CLAIM_DAEMON;
			break;
		}
		/* on failure f is reloaded: the daemon changed the word (claimed, wrote, opened) */
		if (__atomic_compare_exchange_n(flags, &f, f | JSHIM_JOURNAL_EXIT_TAKEN, false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE)) {
			*out = JSHIM_CLAIM_OURS;
			break;
		}
	}
	if (munmap(j, JSHIM_JOURNAL_SIZE) < 0)
		log_warn("munmap journal: %s", strerror(errno));
	return 0;
}
