/* test_setup_memory: jshim_setup_memory_release gives back the stack below its caller and
 * keeps the caller's frame and everything above it intact. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "setup_memory.h"

#define DEEP (256 * 1024)

static int failures;
#define CHECK(c, ...)                                                                   \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			failures++;                                                     \
		}                                                                       \
	} while (0)

static uintptr_t deep_low; /* the lowest address the deep frame wrote */

/* Dirties DEEP bytes of stack below its caller; returns a checksum of what it read back. */
static __attribute__((noinline)) unsigned deep(unsigned seed)
{
	volatile unsigned char big[DEEP];
	for (size_t i = 0; i < DEEP; i += 512)
		big[i] = (unsigned char)(seed + i / 512);
	unsigned sum = 0;
	for (size_t i = 0; i < DEEP; i += 512)
		sum += big[i];
	deep_low = (uintptr_t)&big[0];
	return sum;
}

/* Resident pages of [lo, hi). */
static long resident(uintptr_t lo, uintptr_t hi)
{
	long page = sysconf(_SC_PAGESIZE);
	lo &= ~((uintptr_t)page - 1);
	size_t n = (hi - lo + (size_t)page - 1) / (size_t)page;
	unsigned char vec[(DEEP / 4096) + 16];
	if (n > sizeof vec || mincore((void *)lo, hi - lo, vec) < 0)
		return -1;
	long r = 0;
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

int main(void)
{
	char keep[256];
	memset(keep, 0x5a, sizeof keep);
	unsigned want = deep(7);
	uintptr_t lo = deep_low, hi = lo + DEEP;
	long before = resident(lo + 16 * 1024, hi - 16 * 1024);
	CHECK(before > 40, "the deep frame should be resident before (%ld pages)", before);

	long released = jshim_setup_memory_release();
	CHECK(released >= DEEP - 32 * 1024, "released %ld bytes, want about %d", released, DEEP);
	long after = resident(lo + 16 * 1024, hi - 16 * 1024);
	CHECK(after == 0, "%ld pages of the deep frame are still resident", after);

	/* the caller's frame is intact, and the stack works again below it (zero pages) */
	size_t changed = 0;
	for (size_t i = 0; i < sizeof keep; i++)
		changed += keep[i] != 0x5a;
	CHECK(changed == 0, "%zu bytes of the caller's frame changed", changed);
	CHECK(deep(7) == want, "the stack below works again after the release");
	CHECK(jshim_setup_memory_release() > 0, "a second release works too");
	if (failures == 0)
		printf("test_setup_memory: ok (%ld KiB of stack given back)\n", released / 1024);
	return failures ? 1 : 0;
}
