/* cli_glib.c: GLib GOption semantics, as observed with GLib 2.74 (Debian 12's, conmon's). */
#include "cli_glib.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct jshim_glib_opt *by_long(const struct jshim_glib_opt *opts, size_t n, const char *name,
					    size_t len)
{
	for (size_t k = 0; k < n; k++)
		if (strlen(opts[k].long_name) == len && strncmp(opts[k].long_name, name, len) == 0)
			return &opts[k];
	return NULL;
}

static const struct jshim_glib_opt *by_short(const struct jshim_glib_opt *opts, size_t n, char c)
{
	for (size_t k = 0; c != '\0' && k < n; k++)
		if (opts[k].short_name == c)
			return &opts[k];
	return NULL;
}

static bool is_help_long(const char *name)
{
	return strcmp(name, "help") == 0 || strcmp(name, "help-all") == 0;
}

/* Every letter of s is a flag of the table (so "-ci V" stays GLib's "-c V -i"). */
static bool all_flags(const struct jshim_glib_opt *opts, size_t n, const char *s)
{
	for (; *s; s++) {
		const struct jshim_glib_opt *o = by_short(opts, n, *s);
		if (*s != 'h' && *s != '?' && (o == NULL || o->arg != JSHIM_GLIB_NONE))
			return false;
	}
	return true;
}

/* GLib's g_option_context_parse integer rules and messages. */
static int parse_number(const struct jshim_glib_opt *o, const char *shown, const char *val, int64_t *out,
			char *err, size_t errlen)
{
	char *end;
	errno = 0;
	long long v = strtoll(val, &end, 0);
	if (end == val || *end != '\0')
		return fail(err, errlen, "Cannot parse integer value \u201c%s\u201d for %s", val, shown);
	if (errno == ERANGE || (o->arg == JSHIM_GLIB_INT && (v < INT_MIN || v > INT_MAX)))
		return fail(err, errlen, "Integer value \u201c%s\u201d for %s out of range", val, shown);
	*out = v;
	return 0;
}

static int parse_long(const struct jshim_glib_opt *opts, size_t n, int argc, char **argv, int *i,
		      jshim_glib_apply apply, void *ctx, char *err, size_t errlen)
{
	const char *tok = argv[*i], *name = tok + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	if (eq == NULL && is_help_long(name))
		return JSHIM_GLIB_HELP;
	const struct jshim_glib_opt *o = by_long(opts, n, name, len);
	if (o == NULL)
		return fail(err, errlen, "Unknown option %s", tok);
	const char *val = NULL;
	if (o->arg == JSHIM_GLIB_NONE) {
		*i += 1;
	} else if (eq != NULL) {
		val = eq + 1;
		*i += 1;
	} else if (*i + 1 < argc) {
		val = argv[*i + 1];
		*i += 2;
	} else {
		return fail(err, errlen, "Missing argument for --%s", o->long_name);
	}
	char shown[128];
	int64_t num = 0;
	if (o->arg == JSHIM_GLIB_INT || o->arg == JSHIM_GLIB_INT64) {
		snprintf(shown, sizeof shown, "--%s", o->long_name);
		int r = parse_number(o, shown, val, &num, err, errlen);
		if (r < 0)
			return r;
	}
	return apply(ctx, o, val, num);
}

static int parse_short(const struct jshim_glib_opt *opts, size_t n, int argc, char **argv, int *i,
		       jshim_glib_apply apply, void *ctx, char *err, size_t errlen)
{
	const char *tok = argv[*i], *cluster = tok + 1;
	int took_next = 0;
	for (const char *c = cluster; *c; c++) {
		if (*c == 'h' || *c == '?')
			return JSHIM_GLIB_HELP;
		const struct jshim_glib_opt *o = by_short(opts, n, *c);
		if (o == NULL)
			return fail(err, errlen, "Unknown option %s", tok);
		const char *val = NULL;
		if (o->arg != JSHIM_GLIB_NONE) {
			if (c[1] != '\0' && !all_flags(opts, n, c + 1)) {
				val = c + 1; /* "-cVALUE" */
			} else if (took_next) {
				return fail(err, errlen, "Error parsing option -%c", *c);
			} else if (*i + 1 < argc) {
				val = argv[*i + 1];
				took_next = 1;
			} else {
				return fail(err, errlen, "Missing argument for -%c", *c);
			}
		}
		char shown[4] = { '-', *c, '\0', '\0' };
		int64_t num = 0;
		if (o->arg == JSHIM_GLIB_INT || o->arg == JSHIM_GLIB_INT64) {
			int r = parse_number(o, shown, val, &num, err, errlen);
			if (r < 0)
				return r;
		}
		int r = apply(ctx, o, val, num);
		if (r != 0)
			return r;
		if (val != NULL && val == c + 1)
			break;
	}
	*i += 1 + took_next;
	return 0;
}

int jshim_glib_parse(const struct jshim_glib_opt *opts, size_t n_opts, int argc, char **argv,
		     jshim_glib_apply apply, void *ctx, char *err, size_t errlen)
{
	int i = 1;
	while (i < argc) {
		const char *a = argv[i];
		int r;
		if (a[0] != '-' || a[1] == '\0') {
			i++; /* a non-option: conmon ignores them */
			continue;
		}
		if (a[1] == '-' && a[2] == '\0')
			return 0; /* "--": the rest are non-options */
		if (a[1] == '-')
			r = parse_long(opts, n_opts, argc, argv, &i, apply, ctx, err, errlen);
		else
			r = parse_short(opts, n_opts, argc, argv, &i, apply, ctx, err, errlen);
		if (r != 0)
			return r;
	}
	return 0;
}

int jshim_glib_token(const struct jshim_glib_opt *opts, size_t n_opts, int argc, char **argv, int i,
		     enum jshim_glib_kind *kind)
{
	const char *a = argv[i];
	int has_next = i + 1 < argc;
	*kind = JSHIM_GLIB_POSITIONAL;
	if (a[0] != '-' || a[1] == '\0')
		return 1;
	if (a[1] == '-' && a[2] == '\0')
		return 0;
	*kind = JSHIM_GLIB_KNOWN;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const struct jshim_glib_opt *o = by_long(opts, n_opts, a + 2, len);
		if (o == NULL) {
			if (eq == NULL && is_help_long(a + 2))
				return 1;
			*kind = JSHIM_GLIB_UNKNOWN;
			return 1;
		}
		return o->arg != JSHIM_GLIB_NONE && eq == NULL && has_next ? 2 : 1;
	}
	int took_next = 0;
	for (const char *c = a + 1; *c; c++) {
		const struct jshim_glib_opt *o = by_short(opts, n_opts, *c);
		if (*c == 'h' || *c == '?')
			continue;
		if (o == NULL) {
			*kind = JSHIM_GLIB_UNKNOWN;
			return 1;
		}
		if (o->arg == JSHIM_GLIB_NONE)
			continue;
		if (c[1] != '\0' && !all_flags(opts, n_opts, c + 1))
			break;
		took_next = has_next;
	}
	return 1 + took_next;
}
