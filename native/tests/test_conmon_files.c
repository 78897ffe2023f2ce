/* test_conmon_files.c: ctl parsing, the ctl/winsz FIFOs, the attach listener, open_parent and
 * CRI-O's attach symlink. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "conmon_files.h"

static char top[] = "/tmp/jshim-test-cf-XXXXXX";

struct lines { int n; int v[16][3]; };

static void on_line(void *arg, int type, int a, int b)
{
	struct lines *l = arg;
	if (l->n < 16) {
		l->v[l->n][0] = type, l->v[l->n][1] = a, l->v[l->n][2] = b;
	}
	l->n++;
}

static int is(const struct lines *l, int i, int t, int a, int b)
{
	return i < l->n && l->v[i][0] == t && l->v[i][1] == a && l->v[i][2] == b;
}

static void feed(struct jshim_ctl *c, struct lines *l, const char *s)
{
	jshim_ctl_feed(c, s, strlen(s), on_line, l);
}

static void test_feed(void)
{
	struct jshim_ctl c = { -1, -1, -1, -1, 0, "" };
	struct lines l = { 0 };
	feed(&c, &l, "1 24 80\n2 0 0\n1 33 111\n");
	CHECK(l.n == 3 && is(&l, 0, 1, 24, 80) && is(&l, 1, 2, 0, 0) && is(&l, 2, 1, 33, 111));

	l.n = 0; /* split lines */
	feed(&c, &l, "1 2");
	CHECK(l.n == 0);
	feed(&c, &l, "4 80\n2 0");
	CHECK(l.n == 1 && is(&l, 0, 1, 24, 80));
	feed(&c, &l, " 0\n");
	CHECK(l.n == 2 && is(&l, 1, 2, 0, 0));
	l.n = 0; /* byte by byte */
	const char *s = "1 12 60\n1 13 61\n";
	for (size_t i = 0; s[i]; i++)
		jshim_ctl_feed(&c, s + i, 1, on_line, &l);
	CHECK(l.n == 2 && is(&l, 0, 1, 12, 60) && is(&l, 1, 1, 13, 61));

	l.n = 0; /* garbage is skipped, unknown types are passed on */
	feed(&c, &l, "hello\n1 2\n1 2 3 4\n\n1 x 3\n1 2 3x\n 3  1 1 \r\n1 -1 5\n99999999999 1 1\n");
	CHECK(l.n == 2 && is(&l, 0, 3, 1, 1) && is(&l, 1, 1, -1, 5));

	l.n = 0; /* overlong lines are dropped up to their newline, in one chunk or several */
	char big[600];
	memset(big, 'a', 300);
	strcpy(big + 300, "\n1 5 6\n");
	feed(&c, &l, big);
	CHECK(l.n == 1 && is(&l, 0, 1, 5, 6));
	l.n = 0;
	big[200] = '\0';
	feed(&c, &l, big);
	feed(&c, &l, big);
	feed(&c, &l, "9 9 9\n1 7 8\n");
	CHECK(l.n == 1 && is(&l, 0, 1, 7, 8));
	/* 255 bytes fit, 256 do not */
	l.n = 0;
	memset(big, ' ', sizeof big);
	memcpy(big, "1 2 3", 5);
	big[255] = '\n';
	big[256] = '\0';
	feed(&c, &l, big);
	CHECK(l.n == 1 && is(&l, 0, 1, 2, 3));
	big[255] = ' ';
	big[256] = '\n';
	big[257] = '\0';
	feed(&c, &l, big);
	feed(&c, &l, "2 0 0\n");
	CHECK(l.n == 2 && is(&l, 1, 2, 0, 0));
	CHECK(c.len == 0);
}

static int fd_count(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void test_ctl_open(void)
{
	char d[256], p[300];
	snprintf(d, sizeof d, "%s/ctl", top);
	CHECK(mkdir(d, 0700) == 0);
	int dirfd = open(d, O_DIRECTORY | O_PATH | O_CLOEXEC);
	CHECK(dirfd >= 0);
	/* something already there: a regular file "ctl", a symlink "winsz" */
	snprintf(p, sizeof p, "%s/ctl", d);
	int f = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(f >= 0);
	close(f);
	char target[300];
	snprintf(target, sizeof target, "%s/target", top);
	f = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(f);
	snprintf(p, sizeof p, "%s/winsz", d);
	CHECK(symlink(target, p) == 0);

	umask(022);
	int before = fd_count();
	struct jshim_ctl c;
	CHECK(jshim_ctl_open(&c, dirfd) == 0);
	CHECK(fd_count() == before + 4);
	int fds[4] = { c.ctl_r, c.ctl_w, c.winsz_r, c.winsz_w };
	for (int i = 0; i < 4; i++)
		CHECK(fds[i] >= 0 && (fcntl(fds[i], F_GETFD) & FD_CLOEXEC));
	CHECK(fcntl(c.ctl_r, F_GETFL) & O_NONBLOCK);
	struct stat st, st2;
	CHECK(fstatat(dirfd, "ctl", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode) &&
	      (st.st_mode & 07777) == 0640);
	CHECK(fstatat(dirfd, "winsz", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode));
	CHECK(stat(target, &st) == 0 && S_ISREG(st.st_mode)); /* the symlink was not followed */

	/* a client as podman opens it: O_WRONLY|O_NONBLOCK succeeds only if a reader exists */
	snprintf(p, sizeof p, "%s/ctl", d);
	int w = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(w >= 0);
	CHECK(write(w, "1 24 80\n2 0 0\n", 14) == 14);
	struct lines l = { 0 };
	CHECK(jshim_ctl_read(&c, on_line, &l) == 0);
	CHECK(l.n == 2 && is(&l, 0, 1, 24, 80) && is(&l, 1, 2, 0, 0));
	close(w); /* the dummy writer keeps the reader from seeing EOF */
	struct pollfd pfd = { .fd = c.ctl_r, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(fstat(c.ctl_w, &st) == 0 && fstatat(dirfd, "ctl", &st2, AT_SYMLINK_NOFOLLOW) == 0 &&
	      st.st_ino == st2.st_ino && (fcntl(c.ctl_w, F_GETFL) & O_ACCMODE) == O_WRONLY);
	l.n = 0;
	CHECK(jshim_ctl_read(&c, on_line, &l) == 0 && l.n == 0);
	w = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(w >= 0 && write(w, "1 3", 3) == 3);
	CHECK(jshim_ctl_read(&c, on_line, &l) == 0 && l.n == 0);
	CHECK(write(w, " 4\n", 3) == 3);
	CHECK(jshim_ctl_read(&c, on_line, &l) == 0 && l.n == 1 && is(&l, 0, 1, 3, 4));
	close(w);

	/* open again over the existing FIFOs: replaced */
	struct jshim_ctl c2;
	CHECK(jshim_ctl_open(&c2, dirfd) == 0);
	jshim_ctl_close(&c2);
	CHECK(c2.ctl_r == -1 && c2.ctl_w == -1 && c2.winsz_r == -1 && c2.winsz_w == -1);
	jshim_ctl_close(&c);
	CHECK(fd_count() == before);
	/* the reader is gone: a non-blocking writer gets ENXIO */
	CHECK(open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0 && errno == ENXIO);

	/* a directory at "winsz" cannot be replaced: error, nothing left open */
	unlinkat(dirfd, "winsz", 0);
	CHECK(mkdirat(dirfd, "winsz", 0700) == 0);
	CHECK(jshim_ctl_open(&c, dirfd) < 0);
	CHECK(fd_count() == before);
	CHECK(c.ctl_r == -1 && c.ctl_w == -1 && c.winsz_r == -1 && c.winsz_w == -1);
	unlinkat(dirfd, "winsz", AT_REMOVEDIR);
	unlinkat(dirfd, "ctl", 0);
	close(dirfd);
	rmdir(d);
	unlink(target);
}

static int connect_at(int dirfd, const char *name, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, name);
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static void test_attach_listen(void)
{
	/* a directory path longer than 200 bytes */
	char d[512], p[PATH_MAX];
	snprintf(d, sizeof d, "%s/", top);
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(d);
		memset(d + n, 'a' + i, 80);
		d[n + 80] = '\0';
		CHECK(mkdir(d, 0755) == 0);
		strcat(d, "/");
	}
	CHECK(strlen(d) > 200);
	snprintf(p, sizeof p, "%sattach", d);
	const char *name = NULL;
	int dirfd = jshim_open_parent(p, &name);
	CHECK(dirfd >= 0);
	CHECK_STR(name, "attach");

	int l = jshim_attach_listen(dirfd, name, SOCK_SEQPACKET, 10);
	CHECK(l >= 0);
	CHECK(fcntl(l, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(l, F_GETFL) & O_NONBLOCK);
	int type = 0;
	socklen_t tl = sizeof type;
	CHECK(getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_SEQPACKET);
	struct stat st;
	CHECK(stat(p, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0700);
	int s = connect_at(dirfd, "attach", SOCK_SEQPACKET);
	CHECK(s >= 0);
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0);
	CHECK(send(s, "rec1", 4, 0) == 4 && send(s, "r2", 2, 0) == 2);
	char buf[16];
	CHECK(recv(a, buf, sizeof buf, 0) == 4 && recv(a, buf, sizeof buf, 0) == 2); /* records kept */
	close(a);
	close(s);
	close(l);

	/* the socket file left behind is stale: replaced */
	CHECK(stat(p, &st) == 0 && S_ISSOCK(st.st_mode));
	l = jshim_attach_listen(dirfd, name, SOCK_STREAM, 1);
	CHECK(l >= 0);
	tl = sizeof type;
	CHECK(getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM);
	s = connect_at(dirfd, "attach", SOCK_STREAM);
	CHECK(s >= 0);
	close(s);
	close(l);
	CHECK(unlink(p) == 0);

	/* a regular file is refused and left alone */
	int f = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(f >= 0 && write(f, "x", 1) == 1);
	close(f);
	CHECK(jshim_attach_listen(dirfd, name, SOCK_SEQPACKET, 10) == -EEXIST);
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 1);
	CHECK(unlink(p) == 0);
	/* a symlink is refused, not followed (neither a dangling one nor one to a socket) */
	char target[PATH_MAX];
	CHECK(snprintf(target, sizeof target, "%starget", d) < (int)sizeof target);
	CHECK(symlink(target, p) == 0);
	CHECK(jshim_attach_listen(dirfd, name, SOCK_SEQPACKET, 10) == -EEXIST);
	CHECK(lstat(target, &st) < 0 && errno == ENOENT);
	CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
	l = jshim_attach_listen(dirfd, "target", SOCK_SEQPACKET, 10);
	CHECK(l >= 0);
	CHECK(jshim_attach_listen(dirfd, name, SOCK_SEQPACKET, 10) == -EEXIST);
	CHECK(lstat(target, &st) == 0 && S_ISSOCK(st.st_mode));
	close(l);
	unlink(p);
	unlink(target);
	/* bad names */
	CHECK(jshim_attach_listen(dirfd, "", SOCK_SEQPACKET, 10) == -EINVAL);
	CHECK(jshim_attach_listen(dirfd, "a/b", SOCK_SEQPACKET, 10) == -EINVAL);
	char longname[200];
	memset(longname, 'n', 150);
	longname[150] = '\0';
	CHECK(jshim_attach_listen(dirfd, longname, SOCK_SEQPACKET, 10) == -ENAMETOOLONG);
	close(dirfd);
	for (int i = 0; i < 3; i++) {
		d[strlen(d) - 1] = '\0';
		CHECK(rmdir(d) == 0);
		*strrchr(d, '/') = '\0';
		strcat(d, "/");
	}
}

static void test_open_parent(void)
{
	const char *name = "untouched";
	const char *bad[] = { "", "/", "a/", "/tmp/", "a/.", "a/..", ".", "..", "/tmp/x/" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = jshim_open_parent(bad[i], &name);
		if (r != -EINVAL)
			fprintf(stderr, "open_parent '%s': %d\n", bad[i], r);
		CHECK(r == -EINVAL);
	}
	CHECK_STR(name, "untouched");
	struct stat a, b;
	int fd = jshim_open_parent("/tmp/some-name", &name);
	CHECK(fd >= 0);
	CHECK_STR(name, "some-name");
	CHECK((fcntl(fd, F_GETFL) & O_PATH) && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	CHECK(fstat(fd, &a) == 0 && stat("/tmp", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
	fd = jshim_open_parent("/x", &name);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat("/", &b) == 0 && a.st_ino == b.st_ino);
	CHECK_STR(name, "x");
	close(fd);
	fd = jshim_open_parent("relative", &name);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(".", &b) == 0 && a.st_ino == b.st_ino);
	CHECK_STR(name, "relative");
	close(fd);
	fd = jshim_open_parent("//tmp//x", &name); /* repeated slashes in the directory part */
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat("/tmp", &b) == 0 && a.st_ino == b.st_ino);
	CHECK_STR(name, "x");
	close(fd);
	/* symlinks in the directory part are followed; the name itself is not looked at */
	char real[300], link[300], p[400];
	snprintf(real, sizeof real, "%s/real", top);
	snprintf(link, sizeof link, "%s/link", top);
	CHECK(mkdir(real, 0700) == 0 && symlink(real, link) == 0);
	snprintf(p, sizeof p, "%s/dangling", link);
	fd = jshim_open_parent(p, &name);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(real, &b) == 0 && a.st_ino == b.st_ino);
	CHECK_STR(name, "dangling");
	close(fd);
	snprintf(p, sizeof p, "%s/nonexistent/x", top);
	CHECK(jshim_open_parent(p, &name) == -ENOENT);
	snprintf(p, sizeof p, "%s/file", top);
	int f = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(f);
	snprintf(p, sizeof p, "%s/file/x", top);
	CHECK(jshim_open_parent(p, &name) == -ENOTDIR);
	snprintf(p, sizeof p, "%s/file", top);
	unlink(p);
	unlink(link);
	rmdir(real);
}

static void test_symlink(void)
{
	char sd[300], bundle[300], out[512], got[PATH_MAX], p[PATH_MAX];
	snprintf(sd, sizeof sd, "%s/crio", top); /* missing: created 0700 */
	snprintf(bundle, sizeof bundle, "%s/bundle", top);
	CHECK(mkdir(bundle, 0700) == 0);
	CHECK(jshim_attach_symlink(sd, "cid1", bundle, out, sizeof out) == 0);
	snprintf(p, sizeof p, "%s/cid1", sd);
	CHECK_STR(out, p);
	struct stat st;
	CHECK(stat(sd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	ssize_t n = readlink(out, got, sizeof got - 1);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, bundle);

	/* the attach socket bound in the bundle is reachable through <link>/attach */
	const char *name;
	snprintf(p, sizeof p, "%s/attach", out);
	int dirfd = jshim_open_parent(p, &name);
	CHECK(dirfd >= 0);
	int l = jshim_attach_listen(dirfd, name, SOCK_SEQPACKET, 10);
	CHECK(l >= 0);
	snprintf(p, sizeof p, "%s/attach", bundle);
	CHECK(lstat(p, &st) == 0 && S_ISSOCK(st.st_mode));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CHECK(snprintf(sa.sun_path, sizeof sa.sun_path, "%s/attach", out) < (int)sizeof sa.sun_path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0);
	close(s);
	close(l);
	close(dirfd);
	unlink(p);

	/* an old link (here pointing elsewhere) is replaced */
	CHECK(jshim_attach_symlink(sd, "cid1", "/elsewhere", out, sizeof out) == 0);
	n = readlink(out, got, sizeof got - 1);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, "/elsewhere");
	unlink(out);

	/* a link path of exactly 107 characters loses its last character; 106 and 108 do not */
	for (size_t want = 106; want <= 108; want++) {
		char cuuid[200];
		size_t cl = want - strlen(sd) - 1;
		memset(cuuid, 'c', cl);
		cuuid[cl] = '\0';
		CHECK(jshim_attach_symlink(sd, cuuid, bundle, out, sizeof out) == 0);
		CHECK(strlen(out) == (want == 107 ? 106 : want));
		CHECK(lstat(out, &st) == 0 && S_ISLNK(st.st_mode));
		CHECK(strncmp(out, sd, strlen(sd)) == 0);
		unlink(out);
	}
	/* bad ids, too small a buffer */
	CHECK(jshim_attach_symlink(sd, "", bundle, out, sizeof out) == -EINVAL);
	CHECK(jshim_attach_symlink(sd, "a/b", bundle, out, sizeof out) == -EINVAL);
	CHECK(jshim_attach_symlink(sd, "..", bundle, out, sizeof out) == -EINVAL);
	CHECK(jshim_attach_symlink(sd, "cid", bundle, out, 10) == -ENAMETOOLONG);
	rmdir(sd);
	rmdir(bundle);
}

int main(void)
{
	CHECK(mkdtemp(top) != NULL);
	test_feed();
	test_ctl_open();
	test_attach_listen();
	test_open_parent();
	test_symlink();
	if (rmdir(top) < 0)
		fprintf(stderr, "rmdir %s: %s\n", top, strerror(errno));
	return check_result("test_conmon_files");
}
