/* daemon_link.c: connecting to jshimd, the start lock, and when to start one (daemon_spawn.c
 * starts it). */
#include "daemon_link.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_spawn.h"
#include "jshim_protocol.h"
#include "log.h"
#include "sockdir.h"
#include "util.h"

void jshim_link_init(struct jshim_link *l, const struct jshim_config *cfg)
{
	memset(l, 0, sizeof *l);
	l->cfg = cfg;
	l->fd = -1;
	l->lock_fd = -1;
	jshim_link_begin(l);
}

void jshim_link_begin(struct jshim_link *l)
{
	int64_t now = jshim_now_ms();
	jshim_close(&l->lock_fd);
	l->spawned = false;
	l->spawns = 0;
	l->daemon_pid = 0;
	l->lock_busy = false;
	l->backoff_ms = 10;
	l->next_try = now;
	l->begun_at = now;
	l->deadline = now + l->cfg->daemon_timeout_ms;
}

void jshim_link_close(struct jshim_link *l)
{
	jshim_close(&l->fd);
	jshim_close(&l->lock_fd);
}

/* A daemon that dies within this long after accepting us is crash-looping: keep backing off. */
#define JSHIM_LINK_SHORT_MS 1000

void jshim_link_lost(struct jshim_link *l)
{
	int backoff = l->backoff_ms;
	int64_t now = jshim_now_ms();
	jshim_close(&l->fd);
	jshim_link_begin(l);
	if (now - l->connected_at < JSHIM_LINK_SHORT_MS) {
		l->backoff_ms = backoff * 2 > 250 ? 250 : backoff * 2;
		l->next_try = now + l->backoff_ms;
	}
}

/* How long a send to the daemon may block (a stuck daemon's full queue) before the launcher
 * treats the connection as lost. */
#define JSHIM_LINK_SEND_TIMEOUT_MS 2000

/* Only a daemon running as root or as the launcher's own uid gets the container's fds. */
static int check_peer(const struct jshim_link *l, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		int e = errno;
		log_error("getsockopt SO_PEERCRED %s: %s", l->cfg->daemon_socket, strerror(e));
		return -e;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_error("the daemon at %s runs as uid %u (pid %d), neither root nor uid %u: not handing it "
			  "any fd", l->cfg->daemon_socket, (unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

/* Back to blocking sends, but bounded: a send that cannot complete within the timeout fails
 * with EAGAIN and the caller treats the link as lost. Receives use MSG_DONTWAIT. */
static int bound_sends(const struct jshim_link *l, int fd)
{
	struct timeval tv = { JSHIM_LINK_SEND_TIMEOUT_MS / 1000, (JSHIM_LINK_SEND_TIMEOUT_MS % 1000) * 1000 };
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
		int e = errno;
		log_error("set up the daemon socket %s (blocking, SO_SNDTIMEO): %s", l->cfg->daemon_socket,
			  strerror(e));
		return -e;
	}
	return 0;
}

/* 0 connected, -EAGAIN nobody answers, -EBUSY a daemon answers but its backlog is full,
 * other -errno (the socket directory is unsafe, the peer is not root or us, ...). The
 * connect never blocks: a Unix socket connect is immediate or fails with EAGAIN. */
static int try_connect(struct jshim_link *l)
{
	char why[PATH_MAX + 160];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = jshim_sockdir_check(l->cfg->daemon_socket, why, sizeof why);
	if (r < 0) {
		log_error("%s", why);
		return r;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->cfg->daemon_socket);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		log_error("socket AF_UNIX SOCK_SEQPACKET: %s", strerror(e));
		return -e;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return -EAGAIN;
		if (e == EAGAIN || e == EINPROGRESS) {
			log_debug("connect %s: the daemon's backlog is full; retrying", l->cfg->daemon_socket);
			return -EBUSY;
		}
		log_warn("connect %s: %s", l->cfg->daemon_socket, strerror(e));
		return -e;
	}
	r = check_peer(l, fd);
	if (r == 0)
		r = bound_sends(l, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	l->fd = fd;
	return 0;
}

static int take_start_lock(struct jshim_link *l, const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s.start-lock", l->cfg->daemon_socket);
	int r = jshim_ensure_dir(dir, 0700);
	if (r < 0) {
		log_error("mkdir %s: %s", dir, strerror(-r));
		return r;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		log_error("open %s: %s", path, strerror(-r));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		close(fd);
		if (r != -EWOULDBLOCK)
			log_error("flock %s: %s", path, strerror(-r));
		return r;
	}
	l->lock_fd = fd;
	return 0;
}

/* A daemon being started (by this launcher, or by the holder of the start lock) listens
 * within about 0.3 s: for the first JSHIM_LINK_STARTING_MS of an episode the retries come
 * every JSHIM_LINK_STARTING_RETRY_MS, so the first READY follows closely (with the backoff
 * alone it came up to 250 ms late); a daemon slower than that, or one that died, gets the
 * backoff. */
#define JSHIM_LINK_STARTING_RETRY_MS 20
#define JSHIM_LINK_STARTING_MS 2000

/* A daemon is on its way: ours and alive (or systemd's), or the start-lock holder's. */
static bool daemon_starting(const struct jshim_link *l, int64_t now)
{
	enum jshim_daemon_outlook o = jshim_link_outlook(l, now);
	return o == JSHIM_DAEMON_YOUNG || o == JSHIM_DAEMON_STARTING || o == JSHIM_DAEMON_OTHERS;
}

static int schedule_retry(struct jshim_link *l)
{
	int64_t now = jshim_now_ms();
	int wait = l->backoff_ms;
	if (wait > JSHIM_LINK_STARTING_RETRY_MS && now - l->begun_at < JSHIM_LINK_STARTING_MS &&
	    daemon_starting(l, now))
		wait = JSHIM_LINK_STARTING_RETRY_MS;
	l->next_try = now + wait;
	log_debug("no daemon at %s yet; next attempt in %d ms", l->cfg->daemon_socket, wait);
	l->backoff_ms = l->backoff_ms * 2 > 250 ? 250 : l->backoff_ms * 2;
	return -EAGAIN;
}

int jshim_link_try(struct jshim_link *l)
{
	char dir[PATH_MAX];
	if (l->fd >= 0)
		return 0;
	if (jshim_now_ms() >= l->deadline) {
		/* before this attempt, so a launcher never starts a daemon and then lets go of the
		 * start lock in the same breath (another launcher would start a second one) */
		l->episodes++;
		log_warn("no daemon answered at %s within %d ms (episode %d); trying again",
			 l->cfg->daemon_socket, l->cfg->daemon_timeout_ms, l->episodes);
		jshim_link_begin(l);
	}
	int r = try_connect(l);
	if (r == 0)
		goto connected;
	if (r != -EAGAIN)
		return schedule_retry(l);
	if (jshim_dirname(l->cfg->daemon_socket, dir, sizeof dir) < 0)
		return schedule_retry(l);
	if (l->lock_fd < 0) {
		r = take_start_lock(l, dir);
		l->lock_busy = r == -EWOULDBLOCK;
		if (r < 0)
			return schedule_retry(l); /* someone else is starting it */
	}
	r = try_connect(l);
	if (r == 0)
		goto connected;
	if (r != -EAGAIN)
		return schedule_retry(l); /* busy, unsafe or not ours: never start a daemon for it */
	if (l->spawned && l->spawns < JSHIM_SPAWNS_PER_EPISODE && jshim_daemon_died(l->daemon_pid)) {
		log_warn("the daemon started as pid %d exited before it answered; starting another",
			 (int)l->daemon_pid);
		l->spawned = false;
	}
	if (!l->spawned) {
		l->spawned = true;
		l->spawns++;
		l->spawned_at = jshim_now_ms();
		l->daemon_pid = jshim_daemon_spawn(l->cfg, dir);
	}
	return schedule_retry(l);
connected:
	jshim_close(&l->lock_fd);
	l->lock_busy = false;
	l->connected_at = jshim_now_ms();
	log_debug("connected to the daemon at %s", l->cfg->daemon_socket);
	return 0;
}

bool jshim_link_starting(const struct jshim_link *l)
{
	return l->fd >= 0 || l->spawned || l->lock_busy;
}
