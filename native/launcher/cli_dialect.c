/* cli_dialect.c: shimmy or conmon? Each argv is read with both grammars. */
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "cli_conmon.h"

/* cli_shimmy.c's options (keep in step; test_cli_conmon checks every one of them). */
static const struct {
	const char *name;
	bool has_arg;
	bool shimmy_only; /* not a conmon option */
} shimmy_opts[] = {
	{ "shimmy-pidfile", true, true },     { "shimmy-log-level", true, true },
	{ "syncpipe-fd", true, true },        { "runtime", true, false },
	{ "runtime-arg", true, false },       { "bundle", true, false },
	{ "container-id", true, true },       { "container-pidfile", true, false },
	{ "container-logfile", true, true },  { "container-exitfile", true, true },
	{ "container-attachfile", true, true }, { "stdin", false, false },
	{ "stdin-once", false, true },        { "jshimd-socket", true, true },
	{ "jshimd", true, true },             { "help", false, false },
	{ "version", false, false },
};

struct reading {
	bool foreign;     /* an option (or, for shimmy, a non-option) this grammar rejects */
	bool other_only;  /* an option only the other dialect has */
};

static int shimmy_find(const char *tok)
{
	const char *eq = strchr(tok + 2, '=');
	size_t len = eq ? (size_t)(eq - tok - 2) : strlen(tok + 2);
	for (size_t k = 0; k < sizeof shimmy_opts / sizeof shimmy_opts[0]; k++)
		if (strlen(shimmy_opts[k].name) == len && strncmp(shimmy_opts[k].name, tok + 2, len) == 0)
			return (int)k;
	return -1;
}

/* shimmy's grammar: "--flag V" takes V unless V starts with "--"; only -h and -V are short. */
static struct reading as_shimmy(int argc, char **argv)
{
	struct reading rd = { false, false };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "-V") == 0)
			continue;
		int k = strncmp(a, "--", 2) == 0 && a[2] != '\0' ? shimmy_find(a) : -1;
		if (k < 0) {
			enum jshim_glib_kind kind;
			jshim_glib_token(jshim_conmon_opts, jshim_conmon_n_opts, argc, argv, i, &kind);
			rd.foreign = true;
			rd.other_only |= kind == JSHIM_GLIB_KNOWN && strcmp(a, "-?") != 0 &&
					 strcmp(a, "--help-all") != 0;
			continue;
		}
		if (shimmy_opts[k].has_arg && strchr(a, '=') == NULL && i + 1 < argc &&
		    strncmp(argv[i + 1], "--", 2) != 0)
			i++;
	}
	return rd;
}

/* conmon's grammar (GLib: an option's value is the next element, whatever it looks like). */
static struct reading as_conmon(int argc, char **argv)
{
	struct reading rd = { false, false };
	for (int i = 1; i < argc;) {
		enum jshim_glib_kind kind;
		int took = jshim_glib_token(jshim_conmon_opts, jshim_conmon_n_opts, argc, argv, i, &kind);
		if (took == 0)
			break; /* "--" */
		if (kind == JSHIM_GLIB_UNKNOWN) {
			rd.foreign = true;
			int k = argv[i][1] == '-' ? shimmy_find(argv[i]) : -1;
			rd.other_only |= k >= 0 && shimmy_opts[k].shimmy_only;
		}
		i += took;
	}
	return rd;
}

static bool argv0_is_conmon(const char *argv0)
{
	if (argv0 == NULL)
		return false;
	const char *slash = strrchr(argv0, '/');
	return strcmp(slash ? slash + 1 : argv0, "conmon") == 0;
}

enum jshim_dialect jshim_cli_dialect(int argc, char **argv)
{
	if (argc > 0 && argv0_is_conmon(argv[0]))
		return JSHIM_DIALECT_CONMON;
	struct reading shimmy = as_shimmy(argc, argv);
	if (!shimmy.foreign)
		return JSHIM_DIALECT_SHIMMY; /* every shimmy command line, and "jshim --version" */
	if (!shimmy.other_only)
		return JSHIM_DIALECT_SHIMMY; /* no conmon option at all: shimmy's error is the useful one */
	struct reading conmon = as_conmon(argc, argv);
	if (!conmon.foreign)
		return JSHIM_DIALECT_CONMON;
	/* wrong either way: conmon's error unless a shimmy-only flag is there too */
	return conmon.other_only ? JSHIM_DIALECT_SHIMMY : JSHIM_DIALECT_CONMON;
}
