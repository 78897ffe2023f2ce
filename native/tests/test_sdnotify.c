/* test_sdnotify: the --sdnotify-socket relay (conmon-protocol.md 8.3). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sdnotify.h"

static void test_filter(void)
{
	char out[64];
	size_t n = jshim_sdnotify_filter("READY=1", 7, out, sizeof out);
	CHECK(n == 7 && memcmp(out, "READY=1", 7) == 0);
	const char *m = "STATUS=starting\nREADY=1\nMAINPID=1\nWATCHDOG=1\n";
	n = jshim_sdnotify_filter(m, strlen(m), out, sizeof out);
	CHECK(n == 18 && memcmp(out, "READY=1\nWATCHDOG=1", 18) == 0);
	CHECK(jshim_sdnotify_filter("STATUS=x\nREADY=10\nXREADY=1", 26, out, sizeof out) == 0);
	CHECK(jshim_sdnotify_filter("", 0, out, sizeof out) == 0);
	CHECK(jshim_sdnotify_filter("READY=1", 7, out, 4) == 0); /* never past cap */
}

static int set_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);
	if (n >= sizeof sa->sun_path)
		return -1;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (set_path(&sa, path) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return fd;
}

static void send_to(const char *path, const char *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CHECK(set_path(&sa, path) == 0);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)strlen(msg));
	close(fd);
}

static void test_relay(void)
{
	char dir[] = "/tmp/jshim-sdnotify-XXXXXX", host[256], sock[300], why[512], buf[128];
	struct jshim_sdnotify s;
	struct stat st;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(host, sizeof host, "%s/host.sock", dir);
	int h = bind_dgram(host);
	CHECK(h >= 0);
	snprintf(sock, sizeof sock, "%s/notify", dir);
	CHECK(mkdir(sock, 0755) == 0);
	snprintf(sock, sizeof sock, "%s/notify/notify.sock", dir);
	CHECK(close(open(sock, O_CREAT | O_WRONLY, 0600)) == 0); /* not a socket: refused */
	CHECK(jshim_sdnotify_open(&s, dir, host, why, sizeof why) == -EEXIST);
	CHECK(strstr(why, "not a socket") != NULL);
	CHECK(unlink(sock) == 0);

	CHECK(jshim_sdnotify_open(&s, dir, host, why, sizeof why) == 0);
	CHECK(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0777);
	send_to(sock, "STATUS=booting\nREADY=1\n");
	send_to(sock, "STATUS=only status");
	send_to(sock, "WATCHDOG=1");
	jshim_sdnotify_relay(&s);
	ssize_t n = recv(h, buf, sizeof buf - 1, MSG_DONTWAIT);
	CHECK(n == 7 && memcmp(buf, "READY=1", 7) == 0);
	n = recv(h, buf, sizeof buf - 1, MSG_DONTWAIT);
	CHECK(n == 10 && memcmp(buf, "WATCHDOG=1", 10) == 0);
	CHECK(recv(h, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN); /* STATUS alone: nothing */
	jshim_sdnotify_close(&s);
	CHECK(s.fd == -1);

	/* a stale socket from an earlier run is replaced */
	CHECK(jshim_sdnotify_open(&s, dir, host, why, sizeof why) == 0);
	jshim_sdnotify_close(&s);
	CHECK(jshim_sdnotify_open(&s, dir, "", why, sizeof why) < 0);
	close(h);
	unlink(sock);
	unlink(host);
	snprintf(sock, sizeof sock, "%s/notify", dir);
	rmdir(sock);
	rmdir(dir);
}

int main(void)
{
	test_filter();
	test_relay();
	return check_result("test_sdnotify");
}
