/* conmon_argv.h: test helper: parse "conmon" + argv pieces with jshim_cli_conmon_parse. */
#ifndef JSHIM_TEST_CONMON_ARGV_H
#define JSHIM_TEST_CONMON_ARGV_H

#include "cli.h"

#define MAXARGS 128

struct run {
	struct jshim_config cfg;
	char err[1024];
	int r;
};

/* argv = argv0 + the lists (each NULL-terminated, or NULL), concatenated; returns argc. */
static int join(char **argv, const char *argv0, const char *const *a, const char *const *b,
		const char *const *c)
{
	int argc = 0;
	argv[argc++] = (char *)argv0;
	const char *const *parts[] = { a, b, c };
	for (int p = 0; p < 3; p++)
		for (int i = 0; parts[p] && parts[p][i] && argc < MAXARGS - 1; i++)
			argv[argc++] = (char *)parts[p][i];
	argv[argc] = NULL;
	return argc;
}

static void parse3(struct run *t, const char *const *a, const char *const *b, const char *const *c)
{
	static char *argv[MAXARGS];
	int argc = join(argv, "conmon", a, b, c);
	jshim_config_init(&t->cfg);
	t->err[0] = '\0';
	t->r = jshim_cli_conmon_parse(&t->cfg, argc, argv, t->err, sizeof t->err);
}

static void parse(struct run *t, const char *const *a)
{
	parse3(t, a, NULL, NULL);
}

#endif
