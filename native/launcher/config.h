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

enum jshim_dialect { JSHIM_DIALECT_SHIMMY = 0, JSHIM_DIALECT_CONMON };

/* jshim_config.log_drivers (conmon's -l; shimmy always has FILE) */
#define JSHIM_LOGDRV_FILE (1u << 0)        /* log_path, format log_format */
#define JSHIM_LOGDRV_JOURNALD (1u << 1)
#define JSHIM_LOGDRV_PASSTHROUGH (1u << 2) /* the runtime gets the launcher's own stdio */

struct jshim_config {
	enum jshim_dialect dialect;
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

	/* ---- conmon dialect (cli_conmon.c); zero/NULL/-1 under shimmy ---- */
	int api_version;            /* 0: CRI-O ({"pid": N}), 1: podman ({"data": N}) */
	const char *cuuid;          /* -u */
	const char *name;           /* -n, may be NULL */
	int start_fd;               /* $_OCI_STARTPIPE, or -1 */
	int attach_pipe_fd;         /* $_OCI_ATTACHPIPE (exec --exec-attach), or -1 */
	const char *conmon_pidfile; /* -P: the monitor's pid, written by the main process */
	const char *exit_dir;       /* --exit-dir; exit_path = <exit_dir>/<container_id> */
	const char *persist_dir;    /* -0: <persist_dir>/exit and <persist_dir>/oom */
	const char *socket_dir_path; /* without --full-attach: symlink <dir>/<cuuid> -> bundle */
	bool full_attach;           /* attach_path = <bundle>/attach */
	char **runtime_opts;        /* owned array, strings borrowed from argv; after the subcommand's flags */
	size_t n_runtime_opts;
	bool systemd_cgroup, no_pivot, no_new_keyring;
	bool terminal;              /* -t: console socket (issue 10) */
	bool exec;                  /* -e: runtime exec instead of create */
	bool exec_attach;           /* --exec-attach: {"data": 0} on attach_pipe_fd, second start byte */
	const char *exec_process_spec;
	const char *restore_path;   /* --restore: runtime restore instead of create */
	bool sync_mode;             /* --sync: no fork, the caller waits for the whole life */
	bool leave_stdin_open;
	bool no_sync_log;
	bool replace_listen_pid;
	bool syslog;                /* accepted; there may be no /dev/log: never fail for it */
	const char *exit_command;   /* run after the exit file (and after a failed create) */
	char **exit_command_args;   /* owned array, strings borrowed; argv[1..] of exit_command */
	size_t n_exit_command_args;
	int exit_delay_s;
	int timeout_s;              /* -T: SIGKILL the container after this many s; 0 = never */
	int64_t log_size_max;       /* bytes, 0 = unlimited */
	int64_t log_global_size_max; /* bytes, 0 = unlimited */
	const char *log_tag;
	uint32_t log_drivers;       /* JSHIM_LOGDRV_*; 0 = none/off/null */
	uint32_t attach_format;     /* JSHIM_ATTACH_*; 0 = no attach socket (passthrough) */
	const char *sdnotify_socket;
	int preserve_fds;           /* from --runtime-opt --preserve-fds N, else 0 */
	/* last (jshim_config_init leaves them uncleared): backing store for exit_path and
	 * attach_path when derived */
	char exit_path_buf[4096];
	char attach_path_buf[4096];
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
