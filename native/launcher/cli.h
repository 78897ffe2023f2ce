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

/* Which dialect argv is: conmon if basename(argv[0]) is "conmon", or if argv is a conmon command
 * line and not a shimmy one (each read with its own grammar, so option-like values such as
 * "--runtime-arg -c" do not count); shimmy otherwise. */
enum jshim_dialect jshim_cli_dialect(int argc, char **argv);

/* conmon's errors: err holds the whole line (no newline), main prints it and exits 1. */
#define JSHIM_CLI_ERR_STDOUT (-1000) /* "conmon: option parsing failed: ..." goes to stdout */
/* conmon 2.1.6's command line (conmon-protocol.md section 1, crio-conmon.md sections 1.2, 2.1),
 * with conmon's own checks in conmon's order. Returns JSHIM_CLI_OK, _HELP, _VERSION,
 * JSHIM_CLI_ERR_STDOUT, or -errno (err goes to stderr: "conmon: Container ID not provided. Use
 * --cid", "[conmon:e] ..."). Sets cfg->dialect. Derived strings (exit_path, attach_path) live in
 * cfg's buffers; the default bundle (cwd), container pidfile and log path live in static storage: one
 * parsed conmon config per process. sync_fd/start_fd/attach_pipe_fd come from $_OCI_*PIPE and
 * stay -1 when unset (conmon then sends nothing there). */
int jshim_cli_conmon_parse(struct jshim_config *cfg, int argc, char **argv, char *err, size_t errlen);
/* The system checks before anything is created: the $_OCI_*PIPE fds are open, the daemon socket
 * path fits sun_path. 0 or -errno with a "[conmon:e]" line in err. */
int jshim_cli_conmon_validate(const struct jshim_config *cfg, char *err, size_t errlen);
void jshim_cli_conmon_usage(FILE *out);
#define JSHIM_CONMON_VERSION "2.1.6" /* what podman and CRI-O probe for (>= 2.0.1, >= 2.1.2) */

#endif
