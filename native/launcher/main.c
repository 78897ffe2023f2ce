/* main.c: jshim, the per-container launcher (shimmy command-line dialect). */
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

int main(int argc, char **argv)
{
	struct jshim_config cfg;
	char err[1024];

	jshim_config_init(&cfg);
	int r = jshim_cli_shimmy_parse(&cfg, argc, argv, err, sizeof err);
	if (r == JSHIM_CLI_HELP) {
		jshim_cli_shimmy_usage(stdout);
		return 0;
	}
	if (r == JSHIM_CLI_VERSION) {
		printf("jshim %s\n", JSHIM_VERSION);
		return 0;
	}
	if (r < 0)
		return usage_error(err);
	if (jshim_config_validate(&cfg, err, sizeof err) < 0)
		return usage_error(err);
	r = jshim_launch(&cfg); /* main exits inside; this returns in the monitor */
	jshim_config_free(&cfg);
	return r;
}
