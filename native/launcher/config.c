/* config.c: defaults and the system checks done before forking. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jshim_protocol.h"
#include "util.h"

static int env_seconds_ms(const char *name, int def_s)
{
	int v;
	if (jshim_parse_int(getenv(name), &v) < 0 || v > 86400)
		v = def_s;
	return v * 1000;
}

/* The path buffers are the last members (config.h): backing store, written before use. */
_Static_assert(sizeof(struct jshim_config) - offsetof(struct jshim_config, attach_path_buf) -
		       sizeof(((struct jshim_config *)0)->attach_path_buf) < 8,
	       "exit_path_buf and attach_path_buf must end struct jshim_config");

void jshim_config_init(struct jshim_config *cfg)
{
	/* Not the 8 KiB of path buffers: a launcher's config lives as long as its container, and
	 * clearing them would dirty two pages it never uses otherwise. */
	memset(cfg, 0, offsetof(struct jshim_config, exit_path_buf));
	cfg->exit_path_buf[0] = 0;
	cfg->attach_path_buf[0] = 0;
	cfg->sync_fd = -1;
	cfg->start_fd = -1;
	cfg->attach_pipe_fd = -1;
	cfg->attach_format = JSHIM_ATTACH_SHIMMY;
	cfg->log_drivers = JSHIM_LOGDRV_FILE;
	cfg->log_level = JSHIM_LOG_INFO;
	cfg->log_format = JSHIM_LOG_SHIMMY;
	cfg->exit_format = JSHIM_EXIT_SHIMMY_JSON;
	cfg->daemon_timeout_ms = env_seconds_ms("JSHIM_DAEMON_TIMEOUT", 8);
	cfg->fallback_ms = env_seconds_ms("JSHIM_FALLBACK_SECONDS", 10);
}

void jshim_config_free(struct jshim_config *cfg)
{
	for (size_t i = 0; i < cfg->n_runtime_args; i++)
		free(cfg->runtime_args[i]);
	free(cfg->runtime_args);
	cfg->runtime_args = NULL;
	cfg->n_runtime_args = 0;
	free(cfg->runtime_opts); /* the strings are argv's */
	cfg->runtime_opts = NULL;
	cfg->n_runtime_opts = 0;
	free(cfg->exit_command_args);
	cfg->exit_command_args = NULL;
	cfg->n_exit_command_args = 0;
}

int jshim_parse_log_level(const char *name, enum jshim_log_level *out)
{
	static const struct {
		const char *name;
		enum jshim_log_level level;
	} names[] = {
		{ "off", JSHIM_LOG_OFF },     { "error", JSHIM_LOG_ERROR }, { "panic", JSHIM_LOG_ERROR },
		{ "fatal", JSHIM_LOG_ERROR }, { "warn", JSHIM_LOG_WARN },   { "warning", JSHIM_LOG_WARN },
		{ "info", JSHIM_LOG_INFO },   { "debug", JSHIM_LOG_DEBUG }, { "trace", JSHIM_LOG_TRACE },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

int jshim_config_validate(const struct jshim_config *cfg, char *err, size_t errlen)
{
	const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	struct stat st;

	int fl = fcntl(cfg->sync_fd, F_GETFL);
	if (fl < 0) {
		snprintf(err, errlen, "--syncpipe-fd %d: fcntl: %s", cfg->sync_fd, strerror(errno));
		return -EBADF;
	}
	if ((fl & O_ACCMODE) == O_RDONLY) {
		snprintf(err, errlen, "--syncpipe-fd %d: fd is not open for writing", cfg->sync_fd);
		return -EBADF;
	}
	if (stat(cfg->runtime, &st) < 0) {
		snprintf(err, errlen, "--runtime %s: stat: %s", cfg->runtime, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) || access(cfg->runtime, X_OK) < 0) {
		snprintf(err, errlen, "--runtime %s: not an executable file", cfg->runtime);
		return -EACCES;
	}
	if (strlen(cfg->attach_path) > sun_max) {
		snprintf(err, errlen, "--container-attachfile %s: longer than %zu bytes", cfg->attach_path,
			 sun_max);
		return -ENAMETOOLONG;
	}
	if (strlen(cfg->daemon_socket) > sun_max) {
		snprintf(err, errlen, "--jshimd-socket %s: longer than %zu bytes", cfg->daemon_socket, sun_max);
		return -ENAMETOOLONG;
	}
	if (cfg->container_id[0] == '\0') {
		snprintf(err, errlen, "--container-id: must not be empty");
		return -EINVAL;
	}
	return 0;
}
