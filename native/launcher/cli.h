/* cli.h: command-line dialects. Each fills a struct jshim_config. */
#ifndef JSHIM_CLI_H
#define JSHIM_CLI_H

#include <stdio.h>

#include "config.h"

#define JSHIM_CLI_OK 0
#define JSHIM_CLI_HELP 1
#define JSHIM_CLI_VERSION 2

/* shimmy's command line (see the shimmy contract, section 2). Returns JSHIM_CLI_OK,
 * JSHIM_CLI_HELP, JSHIM_CLI_VERSION, or -EINVAL with "what is wrong" in err.
 * cfg must have been through jshim_config_init. argv strings must outlive cfg. */
int jshim_cli_shimmy_parse(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen);
void jshim_cli_shimmy_usage(FILE *out);

#endif
