/* main.c: jshim, the per-container launcher: shimmy's command line, or conmon's (as "conmon"). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "launch.h"

static int usage_error(const char *what)
{
	fprintf(stderr, "jshim: %s\nTry 'jshim --help' for usage.\n", what);
	return 1;
}

/* shimmy: parse + validate. Returns -1 to go on, else main's exit code. */
static int shimmy_cli(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	int r = jshim_cli_shimmy_parse(cfg, argc, argv, err, errlen);
	if (r == JSHIM_CLI_HELP) {
		jshim_cli_shimmy_usage(stdout);
		return 0;
	}
	if (r == JSHIM_CLI_VERSION) {
		printf("jshim %s\n", JSHIM_VERSION);
		return 0;
	}
	if (r < 0 || jshim_config_validate(cfg, err, errlen) < 0)
		return usage_error(err);
	return -1;
}

/* conmon: parse + validate, conmon's messages on conmon's streams. Same return as above. */
static int conmon_cli(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	int r = jshim_cli_conmon_parse(cfg, argc, argv, err, errlen);
	if (r == JSHIM_CLI_HELP) {
		jshim_cli_conmon_usage(stdout);
		return 0;
	}
	if (r == JSHIM_CLI_VERSION) {
		/* podman: ^conmon version \d+.\d+.\d+ (>= 2.0.1); CRI-O: 3rd field strict semver */
		printf("conmon version " JSHIM_CONMON_VERSION "\ncommit: jshim %s\n", JSHIM_VERSION);
		return 0;
	}
	if (r == JSHIM_CLI_ERR_STDOUT) {
		printf("%s\n", err);
		return 1;
	}
	if (r < 0 || jshim_cli_conmon_validate(cfg, err, errlen) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	/* static, not on main's stack: the monitor sleeps below main's frame for the container's
	 * whole life, and every KiB of depth there is a KiB of stack it keeps dirty */
	static struct jshim_config cfg;
	static char err[1024];

	jshim_config_init(&cfg);
	bool conmon = jshim_cli_dialect(argc, argv) == JSHIM_DIALECT_CONMON;
	int r = conmon ? conmon_cli(&cfg, argc, argv, err, sizeof err)
		       : shimmy_cli(&cfg, argc, argv, err, sizeof err);
	if (r >= 0) {
		jshim_config_free(&cfg);
		return r;
	}
	r = jshim_launch(&cfg); /* main exits inside; this returns in the monitor */
	jshim_config_free(&cfg);
	return r;
}
