/* fds_open.c: the exit dir, log dir + log file, attach listener and journald socket. */
#include "fds_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conmon_files.h"
#include "jshim_protocol.h"
#include "log.h"
#include "util.h"

static bool is_conmon(const struct jshim_config *cfg)
{
	return cfg->dialect == JSHIM_DIALECT_CONMON;
}

static int open_exit_dir(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why,
			 size_t len)
{
	const char *path = cfg->exit_path;
	if (path == NULL && is_conmon(cfg) && cfg->exec) {
		/* CRI-O's ExecSync has no exit dir; the daemon still needs one: a private one */
		char dir[PATH_MAX], tmp[PATH_MAX];
		errno = 0;
		if (jshim_dirname(cfg->daemon_socket, dir, sizeof dir) < 0 || jshim_ensure_dir(dir, 0700) < 0 ||
		    snprintf(tmp, sizeof tmp, "%s/execsync-XXXXXX", dir) >= (int)sizeof tmp || mkdtemp(tmp) == NULL) {
			int e = errno ? errno : ENAMETOOLONG;
			snprintf(why, len, "create a private exit directory in %s: %s", dir, strerror(e));
			return -e;
		}
		if (asprintf(&f->exit_tmp, "%s/%s", tmp, cfg->container_id) < 0) {
			f->exit_tmp = NULL;
			snprintf(why, len, "asprintf (the private exit file's path): out of memory");
			if (rmdir(tmp) < 0)
				log_warn("rmdir %s: %s", tmp, strerror(errno));
			return -ENOMEM;
		}
		path = f->exit_tmp;
	}
	if (path == NULL) {
		snprintf(why, len, "no --exit-dir: jshim writes the exit status only to <exit-dir>/<cid>");
		return -EINVAL;
	}
	int fd = jshim_open_parent(path, &f->exit_name);
	if (fd < 0) {
		snprintf(why, len, "open the exit file's directory (%s): %s", path, strerror(-fd));
		return fd;
	}
	f->fd[JSHIM_CFD_EXIT_DIR] = fd;
	return 0;
}

static int create_log(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why, size_t len)
{
	int dir = jshim_open_parent(cfg->log_path, &f->log_name);
	if (dir < 0) {
		snprintf(why, len, "open the log's directory (%s): %s", cfg->log_path, strerror(-dir));
		return dir;
	}
	f->fd[JSHIM_CFD_LOG_DIR] = dir;
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	flags |= is_conmon(cfg) ? O_APPEND : O_TRUNC;
	int fd = openat(dir, f->log_name, flags, is_conmon(cfg) ? 0600 : 0640);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "create the log %s: %s", cfg->log_path, strerror(e));
		return -e;
	}
	close(fd); /* the daemon opens it by name in the dir fd */
	return 0;
}

/* The path of the attach socket, into f->attach_path (CRI-O mode: through the symlink). */
static int attach_path(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why, size_t len)
{
	char link[PATH_MAX];
	int n;
	if (is_conmon(cfg) && !cfg->full_attach) {
		int r = jshim_attach_symlink(cfg->socket_dir_path, cfg->cuuid, cfg->bundle, link, sizeof link);
		if (r < 0) {
			snprintf(why, len, "create the attach symlink %s/%s -> %s: %s", cfg->socket_dir_path,
				 cfg->cuuid, cfg->bundle, strerror(-r));
			return r;
		}
		f->attach_link = strdup(link);
		if (f->attach_link == NULL) {
			snprintf(why, len, "strdup (the attach symlink's path): out of memory");
			if (unlink(link) < 0)
				log_warn("unlink attach symlink %s: %s", link, strerror(errno));
			return -ENOMEM;
		}
		n = asprintf(&f->attach_path, "%s/attach", f->attach_link);
	} else if (cfg->attach_path != NULL) {
		n = asprintf(&f->attach_path, "%s", cfg->attach_path);
	} else {
		n = asprintf(&f->attach_path, "%s/attach", cfg->bundle);
	}
	if (n < 0) {
		f->attach_path = NULL;
		snprintf(why, len, "asprintf (the attach socket's path): out of memory");
		return -ENOMEM;
	}
	if ((size_t)n >= PATH_MAX) {
		snprintf(why, len, "the attach socket path is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int bind_attach(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why, size_t len)
{
	int r = attach_path(cfg, f, why, len);
	if (r < 0)
		return r;
	int dir = jshim_open_parent(f->attach_path, &f->attach_name);
	if (dir < 0) {
		snprintf(why, len, "open the attach socket's directory (%s): %s", f->attach_path,
			 strerror(-dir));
		return dir;
	}
	f->fd[JSHIM_CFD_ATTACH_DIR] = dir;
	int type = cfg->attach_format == JSHIM_ATTACH_CONMON ? SOCK_SEQPACKET : SOCK_STREAM;
	int fd = jshim_attach_listen(dir, f->attach_name, type, is_conmon(cfg) ? 10 : 128);
	if (fd == -EEXIST) { /* a stale socket is replaced; anything else is not ours to remove */
		snprintf(why, len, "attach socket %s: exists and is not a socket", f->attach_path);
		return fd;
	}
	if (fd < 0) {
		snprintf(why, len, "bind the attach socket %s: %s", f->attach_path, strerror(-fd));
		return fd;
	}
	f->fd[JSHIM_CFD_ATTACH] = fd;
	return 0;
}

static int connect_journal(struct jshim_container_fds *f, char *why, size_t len)
{
	const char *path = getenv(JSHIM_JOURNAL_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = JSHIM_JOURNAL_SOCKET_DEFAULT;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(why, len, "journald socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "socket AF_UNIX SOCK_DGRAM (journald): %s", strerror(e));
		return -e;
	}
	f->fd[JSHIM_CFD_JOURNALD] = fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		snprintf(why, len, "log driver journald: connect %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int jshim_fds_open(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why, size_t len)
{
	int r = open_exit_dir(cfg, f, why, len);
	if (r == 0 && (cfg->log_drivers & JSHIM_LOGDRV_FILE) && cfg->log_path != NULL)
		r = create_log(cfg, f, why, len);
	if (r == 0 && cfg->attach_format != 0)
		r = bind_attach(cfg, f, why, len);
	if (r == 0 && (cfg->log_drivers & JSHIM_LOGDRV_JOURNALD))
		r = connect_journal(f, why, len);
	if (r < 0)
		log_error("%s", why);
	return r;
}

void jshim_fds_finish(const struct jshim_config *cfg, struct jshim_container_fds *f)
{
	if (!is_conmon(cfg))
		return; /* shimmy leaves the socket file (shimmy contract, section 7) */
	if (f->fd[JSHIM_CFD_ATTACH_DIR] >= 0 && f->attach_name != NULL &&
	    unlinkat(f->fd[JSHIM_CFD_ATTACH_DIR], f->attach_name, 0) < 0 && errno != ENOENT)
		log_warn("unlinkat attach socket %s: %s", f->attach_path, strerror(errno));
	if (f->attach_link != NULL && unlink(f->attach_link) < 0 && errno != ENOENT)
		log_warn("unlink attach symlink %s: %s", f->attach_link, strerror(errno));
	free(f->attach_link);
	f->attach_link = NULL;
	if (f->exit_tmp != NULL) {
		if (f->fd[JSHIM_CFD_EXIT_DIR] >= 0 && f->exit_name != NULL)
			unlinkat(f->fd[JSHIM_CFD_EXIT_DIR], f->exit_name, 0);
		f->exit_name = NULL; /* it pointed into exit_tmp */
		char *slash = strrchr(f->exit_tmp, '/');
		*slash = '\0';
		if (rmdir(f->exit_tmp) < 0)
			log_warn("rmdir %s: %s", f->exit_tmp, strerror(errno));
		free(f->exit_tmp);
		f->exit_tmp = NULL;
	}
}
