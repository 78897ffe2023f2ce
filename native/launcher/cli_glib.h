/* cli_glib.h: a command-line scanner with GLib's GOption semantics (what conmon uses). */
#ifndef JSHIM_CLI_GLIB_H
#define JSHIM_CLI_GLIB_H

#include <stddef.h>
#include <stdint.h>

enum jshim_glib_arg {
	JSHIM_GLIB_NONE = 0, /* a flag; "--flag=anything" is accepted and the value ignored */
	JSHIM_GLIB_STRING,   /* also used for repeatable (string array) options */
	JSHIM_GLIB_INT,      /* strtol base 0, leading blanks and a sign allowed, int range */
	JSHIM_GLIB_INT64,
};

struct jshim_glib_opt {
	const char *long_name;
	char short_name; /* 0: none */
	enum jshim_glib_arg arg;
	int id;
};

/* Called once per occurrence, in command-line order. val is the string (borrowed from argv) for
 * STRING, NULL for NONE; num the parsed value for INT/INT64. Returns 0 or a negative code that
 * stops the scan and is returned as is. */
typedef int (*jshim_glib_apply)(void *ctx, const struct jshim_glib_opt *o, const char *val, int64_t num);

#define JSHIM_GLIB_HELP 1 /* -h, -?, --help or --help-all was met (scan stopped there) */

/* Scans argv[1..] as g_option_context_parse does: "--name V", "--name=V", "-x V", clusters of
 * flags ("-it"), "--" ends the options, other non-options are ignored. One extension: "-xVALUE"
 * (GLib would fail on it) is read as "-x VALUE" when VALUE is not made only of flag letters.
 * Returns 0, JSHIM_GLIB_HELP, -EINVAL with GLib's message in err ("Unknown option -q",
 * "Missing argument for --cid", ...), or apply's error. */
int jshim_glib_parse(const struct jshim_glib_opt *opts, size_t n_opts, int argc, char **argv,
		     jshim_glib_apply apply, void *ctx, char *err, size_t errlen);

/* For telling dialects apart: how argv[i] reads under this table. Returns how many argv elements
 * it takes (0 for "--": nothing after it is an option) and sets *kind. */
enum jshim_glib_kind { JSHIM_GLIB_POSITIONAL, JSHIM_GLIB_KNOWN, JSHIM_GLIB_UNKNOWN };
int jshim_glib_token(const struct jshim_glib_opt *opts, size_t n_opts, int argc, char **argv, int i,
		     enum jshim_glib_kind *kind);

#endif
