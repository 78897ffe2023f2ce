/* test_daemon_spawn.c: the pieces of the daemon start that can run without a daemon:
 * where jshimd is found next to the launcher (daemon_path.c), and the clean process state a
 * daemon child gets (daemon_env.c), checked in forked children. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "daemon_env.h"
#include "daemon_path.h"

static char root[] = "/tmp/jshim-spawn-test.XXXXXX";

static void touch(const char *rel, mode_t mode)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
	CHECK(system(cmd) == 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	close(fd);
	CHECK(chmod(path, mode) == 0);
}

static void expect_next_to(const char *exe_rel, const char *want_rel)
{
	char exe[PATH_MAX], want[PATH_MAX], got[PATH_MAX];
	snprintf(exe, sizeof exe, "%s/%s", root, exe_rel);
	if (want_rel[0] == '/')
		snprintf(want, sizeof want, "%s", want_rel);
	else
		snprintf(want, sizeof want, "%s/%s", root, want_rel);
	jshim_jshimd_next_to(exe, got, sizeof got);
	CHECK_STR(got, want);
}

static void test_next_to(void)
{
	/* a build tree: <build>/native/launcher/jshim and <build>/jshimd */
	touch("build/native/launcher/jshim", 0755);
	touch("build/jshimd", 0755);
	expect_next_to("build/native/launcher/jshim", "build/jshimd");
	/* not executable: not taken */
	touch("build/jshimd", 0644);
	expect_next_to("build/native/launcher/jshim", JSHIM_INSTALLED_JSHIMD);
	/* the name matters: only native/launcher/jshim is a build tree's launcher */
	touch("other/native/launcher/conmon", 0755);
	touch("other/jshimd", 0755);
	expect_next_to("other/native/launcher/conmon", JSHIM_INSTALLED_JSHIMD);
	/* a relocated install: <prefix>/bin/jshim and <prefix>/bin/../sbin/jshimd */
	touch("prefix/bin/jshim", 0755);
	expect_next_to("prefix/bin/jshim", JSHIM_INSTALLED_JSHIMD);
	touch("prefix/bin/" JSHIM_JSHIMD_FROM_BINDIR, 0755);
	expect_next_to("prefix/bin/jshim", "prefix/bin/" JSHIM_JSHIMD_FROM_BINDIR);
	/* nothing next to it */
	expect_next_to("nowhere/jshim", JSHIM_INSTALLED_JSHIMD);
	/* this test binary is not a launcher: the installed path (or ../sbin beside it) */
	CHECK(jshim_default_jshimd() != NULL && jshim_default_jshimd()[0] == '/');
}

/* Runs fn in a child; the child's exit code is its number of failures. */
static void in_child(void (*fn)(void), const char *what)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fn();
		fflush(NULL);
		_exit(check_failures > 100 ? 100 : check_failures);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: child failed (wait status %#x)\n", what, st);
		check_failures++;
	}
}

static void child_fds(void)
{
	int a = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: leaked by a caller */
	int b = dup2(a, 200);
	CHECK(a >= 3 && b == 200);
	CHECK(jshim_close_fds_from(3) == 0);
	CHECK(fcntl(a, F_GETFD) < 0 && errno == EBADF);
	CHECK(fcntl(200, F_GETFD) < 0 && errno == EBADF);
	CHECK(fcntl(0, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0);
}

static void child_signals(void)
{
	sigset_t all;
	sigfillset(&all);
	CHECK(sigprocmask(SIG_BLOCK, &all, NULL) == 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	jshim_reset_signals();
	sigset_t now;
	CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
	CHECK(!sigismember(&now, SIGTERM) && !sigismember(&now, SIGCHLD));
	struct sigaction sa;
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
	CHECK(sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
}

static void child_oom(void)
{
	/* raising is always allowed; the reset must bring it back to 0 */
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);
	CHECK(fd >= 0 && write(fd, "500", 3) == 3);
	close(fd);
	CHECK(jshim_reset_oom_score_adj() == 0);
	char buf[16] = "";
	fd = open("/proc/self/oom_score_adj", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0);
	close(fd);
	CHECK(atoi(buf) == 0);
}

static void child_rlimits(void)
{
	struct rlimit init, mine;
	CHECK(prlimit(1, RLIMIT_STACK, NULL, &init) == 0);
	CHECK(getrlimit(RLIMIT_STACK, &mine) == 0);
	/* lower the soft limit only: it can always be raised back up to the hard one */
	struct rlimit low = { 1 << 20, mine.rlim_max };
	CHECK(setrlimit(RLIMIT_STACK, &low) == 0);
	jshim_rlimits_from_init();
	struct rlimit got;
	CHECK(getrlimit(RLIMIT_STACK, &got) == 0);
	rlim_t want_max = init.rlim_max <= mine.rlim_max ? init.rlim_max : mine.rlim_max;
	CHECK(got.rlim_max == want_max || got.rlim_max == init.rlim_max);
	CHECK(got.rlim_cur == (init.rlim_cur < got.rlim_max ? init.rlim_cur : got.rlim_max));
	CHECK(got.rlim_cur != (rlim_t)(1 << 20) || init.rlim_cur == (rlim_t)(1 << 20));
}

int main(void)
{
	CHECK(mkdtemp(root) != NULL);
	test_next_to();
	in_child(child_fds, "close fds");
	in_child(child_signals, "signals");
	in_child(child_oom, "oom_score_adj");
	in_child(child_rlimits, "rlimits");
	char cmd[PATH_MAX];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	CHECK(system(cmd) == 0);
	return check_result("test_daemon_spawn");
}
