/* test_sockdir: the daemon socket's directory check, and a daemon of another uid gets no fd. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "daemon_link.h"
#include "log.h"
#include "sockdir.h"

static char base[] = "/tmp/jshim-sockdir-XXXXXX";

static void policy(void)
{
	CHECK(jshim_sockdir_problem(0, 0700, 0, true) == NULL);
	CHECK(jshim_sockdir_problem(0, 0755, 0, false) == NULL);
	CHECK(jshim_sockdir_problem(1000, 0700, 1000, false) == NULL);
	CHECK(jshim_sockdir_problem(1000, 0700, 0, false) != NULL); /* another user's */
	CHECK(jshim_sockdir_problem(0, 0775, 0, false) != NULL);
	CHECK(jshim_sockdir_problem(0, 0757, 0, false) != NULL);
	CHECK(jshim_sockdir_problem(0, 01777, 0, false) != NULL); /* /tmp */
	CHECK(jshim_sockdir_problem(0, 0755, 0, true) != NULL);  /* the default dir: 0700 only */
}

static void check_dirs(void)
{
	char sock[PATH_MAX + 16], dir[256], link[256], why[PATH_MAX + 160];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/new", base);
	snprintf(sock, sizeof sock, "%s/jshimd.sock", dir);
	CHECK(jshim_sockdir_check(sock, why, sizeof why) == 0); /* created */
	CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	CHECK(chmod(dir, 0777) == 0);
	CHECK(jshim_sockdir_check(sock, why, sizeof why) == -EPERM);
	CHECK(strstr(why, dir) != NULL && strstr(why, "mode 0777") != NULL && strstr(why, "owner uid 0") != NULL);
	CHECK(chmod(dir, 0755) == 0);
	CHECK(jshim_sockdir_check(sock, why, sizeof why) == 0);
	snprintf(link, sizeof link, "%s/link", base); /* a symlink to a good directory: refused */
	CHECK(symlink(dir, link) == 0);
	snprintf(sock, sizeof sock, "%s/jshimd.sock", link);
	CHECK(jshim_sockdir_check(sock, why, sizeof why) == -EPERM);
	CHECK(strstr(why, "symbolic link") != NULL && strstr(why, link) != NULL);
	CHECK(chown(dir, 65534, 65534) == 0); /* another user's */
	snprintf(sock, sizeof sock, "%s/jshimd.sock", dir);
	CHECK(jshim_sockdir_check(sock, why, sizeof why) == -EPERM);
	CHECK(strstr(why, "owner uid 65534") != NULL);
}

/* A "daemon" whose listening socket was set up by uid 65534 (SO_PEERCRED is the listener's
 * credentials at listen()). The launcher must connect, see the uid, and send nothing. */
static void foreign_daemon(void)
{
	char dir[64], sock[96];
	snprintf(dir, sizeof dir, "%s/d", base);
	snprintf(sock, sizeof sock, "%s/jshimd.sock", dir);
	CHECK(mkdir(dir, 0700) == 0);
	int ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0);
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c = 1;
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0 || listen(ls, 4) < 0)
			_exit(10);
		if (write(ready[1], &c, 1) != 1)
			_exit(11);
		int c1 = accept(ls, NULL, NULL);
		if (c1 < 0)
			_exit(12);
		struct pollfd p = { c1, POLLIN, 0 };
		if (poll(&p, 1, 3000) != 1)
			_exit(13); /* the launcher kept the connection open */
		char buf[256];
		ssize_t n = recv(c1, buf, sizeof buf, 0);
		_exit(n == 0 ? 0 : 14); /* EOF, no byte, no fd */
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	struct jshim_config cfg;
	jshim_config_init(&cfg);
	cfg.daemon_socket = sock;
	cfg.jshimd = "/bin/false";
	cfg.daemon_timeout_ms = 2000;
	struct jshim_link l;
	jshim_link_init(&l, &cfg);
	CHECK(jshim_link_try(&l) == -EAGAIN);
	CHECK(l.fd < 0);
	CHECK(!l.spawned); /* not "nobody answers": nothing started in its place */
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "foreign daemon: wait status 0x%x\n", st);
	jshim_link_close(&l);
	close(ls);
}

/* A daemon whose backlog is full (it does not accept): the connect must not block, and a
 * busy daemon is not "nobody answers": no daemon is started in its place. */
static void busy_daemon(void)
{
	char dir[64], sock[96];
	snprintf(dir, sizeof dir, "%s/busy", base);
	snprintf(sock, sizeof sock, "%s/jshimd.sock", dir);
	CHECK(mkdir(dir, 0700) == 0);
	int ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(ls, 0) == 0);
	int fill[4];
	int nfill = 0;
	for (int i = 0; i < 4; i++) { /* fill the backlog (non-blocking: stop at EAGAIN) */
		int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0) {
			fill[nfill++] = c;
			continue;
		}
		if (c >= 0)
			close(c);
		break;
	}
	CHECK(nfill >= 1);
	struct jshim_config cfg;
	jshim_config_init(&cfg);
	cfg.daemon_socket = sock;
	cfg.jshimd = "/bin/false";
	cfg.daemon_timeout_ms = 2000;
	struct jshim_link l;
	jshim_link_init(&l, &cfg);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(jshim_link_try(&l) == -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms < 500); /* it did not wait for an accept */
	CHECK(l.fd < 0);
	CHECK(!l.spawned);
	jshim_link_close(&l);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(ls);
}

int main(void)
{
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	jshim_log_init(JSHIM_LOG_DEBUG, "test", base);
	policy();
	check_dirs();
	busy_daemon();
	if (geteuid() == 0)
		foreign_daemon();
	else
		CHECK(!"foreign_daemon needs root (the C tests run as root)");
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", base);
	return check_result("test_sockdir");
}
