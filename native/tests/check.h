/* check.h: minimal assertions for the C unit tests; main returns check_result(). */
#ifndef JSHIM_CHECK_H
#define JSHIM_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                                 \
		}                                                                         \
	} while (0)

#define CHECK_STR(got, want)                                                               \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                                   \
			fprintf(stderr, "%s:%d: got '%s', want '%s'\n", __FILE__, __LINE__,  \
				g_ ? g_ : "(null)", w_);                                   \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

static inline int check_result(const char *name)
{
	if (check_failures)
		fprintf(stderr, "%s: %d failure(s)\n", name, check_failures);
	else
		printf("%s: ok\n", name);
	return check_failures ? 1 : 0;
}

#endif
