/* setup_memory.c: gives back the memory that set-up touched once. A launcher sleeps beside its
 * container for the container's whole life; the pages its create path dirtied (deep stack
 * frames, freed heap chunks) would stay resident and private to it, once per container. */
#include "setup_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below the caller's frame, what stays: the madvise call's own frame and the red zone. */
#define KEEP_BELOW (8 * 1024)

/* The lowest address of the [stack] mapping in /proc/self/maps, or 0. Its own frame (the
 * read buffer) lies below the caller's, in the range the caller then gives back. */
static __attribute__((noinline)) uintptr_t stack_low_end(void)
{
	char buf[4096];
	uintptr_t found = 0;
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = 0;
			unsigned long lo, hi;
			if (strstr(line, " [stack]") != NULL && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
				found = (uintptr_t)lo;
			line = nl + 1;
		}
		have = (size_t)(buf + have - line); /* a partial last line moves to the front */
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0; /* a line longer than the buffer: not the stack's */
	}
	close(fd);
	return found;
}

long jshim_setup_memory_release(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t low = stack_low_end();
	volatile char here = 0;
	uintptr_t top = ((uintptr_t)&here - KEEP_BELOW) & ~((uintptr_t)page - 1);
	long released = 0;
	if (low != 0 && top > low) {
		/* pages below the stack pointer hold nothing live; the next use faults in zeros */
		if (madvise((void *)low, top - low, MADV_DONTNEED) < 0)
			return -errno;
		released = (long)(top - low);
	} else if (low == 0) {
		return -ENOENT;
	}
	malloc_trim(0); /* freed chunks' whole pages, anywhere in the heap */
	return released;
}
