/* setup_memory.h: the launcher's long sleep should not keep what its create path touched. */
#ifndef JSHIM_SETUP_MEMORY_H
#define JSHIM_SETUP_MEMORY_H

/* Gives the kernel back the stack pages more than 8 KiB below the caller's frame (nothing
 * there is live; the next use faults in zero pages) and the heap's free pages (malloc_trim).
 * Call it from a shallow frame once set-up is over, e.g. when the daemon took the container.
 * Returns the bytes of stack given back, or -errno (ENOENT: no [stack] in /proc/self/maps). */
long jshim_setup_memory_release(void);

#endif
