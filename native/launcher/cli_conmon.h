/* cli_conmon.h: the conmon dialect's internals, shared by cli_conmon*.c and cli_dialect.c. */
#ifndef JSHIM_CLI_CONMON_H
#define JSHIM_CLI_CONMON_H

#include <stddef.h>

#include "cli_glib.h"
#include "config.h"

enum conmon_opt_id {
	C_API_VERSION, C_BUNDLE, C_CID, C_CONMON_PIDFILE, C_CPIDFILE, C_CUUID, C_EXEC, C_EXEC_ATTACH,
	C_EXEC_SPEC, C_EXIT_COMMAND, C_EXIT_COMMAND_ARG, C_EXIT_DELAY, C_EXIT_DIR, C_LEAVE_STDIN_OPEN,
	C_LOG_LEVEL, C_LOG_PATH, C_LOG_SIZE_MAX, C_LOG_GLOBAL_SIZE_MAX, C_LOG_TAG, C_NAME,
	C_NO_NEW_KEYRING, C_NO_PIVOT, C_NO_SYNC_LOG, C_PERSIST_DIR, C_REPLACE_LISTEN_PID, C_RESTORE,
	C_RUNTIME, C_RUNTIME_ARG, C_RUNTIME_OPT, C_SDNOTIFY_SOCKET, C_SOCKET_DIR, C_STDIN, C_SYNC,
	C_SYSLOG, C_SYSTEMD_CGROUP, C_TERMINAL, C_TIMEOUT, C_VERSION, C_FULL_ATTACH, C_SECCOMP_SOCKET,
	C_SECCOMP_PLUGINS,
};

extern const struct jshim_glib_opt jshim_conmon_opts[];
extern const size_t jshim_conmon_n_opts;

/* Formats the whole error line into err. Returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int jshim_conmon_fail(char *err, size_t errlen, const char *fmt, ...);
/* cli_conmon.c: conmon's process_cli checks, then the two below. */
int jshim_conmon_check(struct jshim_config *cfg, const char *log_level, const char **logs, size_t n_logs,
		       const char *seccomp_socket, char *err, size_t errlen);
/* cli_conmon_derive.c: the -l values (conmon's parse_log_path rules) into log_drivers/log_path. */
int jshim_conmon_log_drivers(struct jshim_config *cfg, const char **logs, size_t n_logs, char *err,
			     size_t errlen);
/* exit_path, attach_path, formats, stdin_once, preserve_fds, $_OCI_*PIPE, daemon socket, jshimd. */
int jshim_conmon_derive(struct jshim_config *cfg, char *err, size_t errlen);

#endif
