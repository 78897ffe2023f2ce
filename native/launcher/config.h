/* config.h: the launcher's configuration, filled by one command-line dialect (cli_*.c). */
#ifndef JSHIM_CONFIG_H
#define JSHIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jshim_log_level {
	JSHIM_LOG_OFF = 0,
	JSHIM_LOG_ERROR,
	JSHIM_LOG_WARN,
	JSHIM_LOG_INFO,
	JSHIM_LOG_DEBUG,
	JSHIM_LOG_TRACE,
};

struct jshim_config {
	const char *runtime;      /* executed by path, no PATH search */
	char **runtime_args;      /* owned; quotes already stripped; before "create" */
	size_t n_runtime_args;
	const char *bundle;
	const char *container_id;
	const char *container_pidfile; /* written by the runtime */
	const char *shim_pidfile;      /* the monitor's pid, written by the main process */
	const char *log_path;
	const char *exit_path;
	const char *attach_path;
	bool stdin_open;
	bool stdin_once;
	enum jshim_log_level log_level;
	int sync_fd;
	const char *daemon_socket;
	const char *jshimd;
	uint32_t log_format;  /* JSHIM_LOG_* of jshim_protocol.h */
	uint32_t exit_format; /* JSHIM_EXIT_* */
	int daemon_timeout_ms;  /* $JSHIM_DAEMON_TIMEOUT seconds, default 8 */
	int fallback_ms;        /* $JSHIM_FALLBACK_SECONDS, default 10 */
};

/* Fills the dialect-neutral defaults (env-derived timeouts, sync_fd = -1). */
void jshim_config_init(struct jshim_config *cfg);
void jshim_config_free(struct jshim_config *cfg);
/* Checks that need the system: sync fd writable, runtime executable, socket path sizes.
 * Returns 0 or -errno with a message naming the flag in err. */
int jshim_config_validate(const struct jshim_config *cfg, char *err, size_t errlen);
/* Parses a log level name (case-insensitive, logrus names too). Returns -EINVAL if unknown. */
int jshim_parse_log_level(const char *name, enum jshim_log_level *out);

#endif
