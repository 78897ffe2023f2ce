/* test_exit_command.c: argv, fd table, signal state, environment, delay and status of the exit command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "exit_command.h"
#include "util.h"

static char dir[] = "/tmp/jshim-test-exitcmd-XXXXXX";
static char script[128];

static char *slurp(const char *name)
{
	static char buf[65536];
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void write_script(void)
{
	snprintf(script, sizeof script, "%s/exit-cmd", dir);
	FILE *f = fopen(script, "w");
	CHECK(f != NULL);
	fprintf(f, "#!/bin/sh\n"
		   "d=$1\n"
		   "for a in \"$0\" \"$@\"; do printf '%%s\\n' \"$a\"; done > \"$d/argv\"\n"
		   "ls /proc/self/fd > \"$d/fds\"\n"
		   "env > \"$d/env\"\n"
		   "case \"$2\" in kill) kill -9 $$;; esac\n"
		   "exit 7\n");
	fclose(f);
	CHECK(chmod(script, 0755) == 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_run(void)
{
	struct jshim_config cfg;
	jshim_config_init(&cfg);
	CHECK(jshim_exit_command_run(&cfg) == 0); /* no exit command: nothing */

	char *args[] = { dir, "two words", "--rm", "" };
	cfg.exit_command = script;
	cfg.exit_command_args = args;
	cfg.n_exit_command_args = 4;
	cfg.exit_delay_s = 1;

	/* state the child must not inherit: leaked fds, a blocked and an ignored signal */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(dup2(p[0], 100) == 100);
	CHECK(fcntl(100, F_GETFD) == 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setenv("JSHIM_TEST_ENV", "from-the-launcher", 1);
	/* a subreaper with another child that exits meanwhile */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	pid_t other = fork();
	if (other == 0)
		_exit(0);

	double t0 = now_s();
	int r = jshim_exit_command_run(&cfg);
	double dt = now_s() - t0;
	CHECK(r == 7);
	CHECK(dt >= 0.95 && dt < 5);
	char want[512];
	snprintf(want, sizeof want, "%s\n%s\ntwo words\n--rm\n\n", script, dir);
	CHECK_STR(slurp("argv"), want);
	CHECK_STR(slurp("fds"), "0\n1\n2\n3\n"); /* 3 is ls's own directory fd */
	CHECK(strstr(slurp("env"), "\nJSHIM_TEST_ENV=from-the-launcher\n") != NULL);
	int sub = -1;
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0) == 0 && sub == 0);
	CHECK(waitpid(other, NULL, WNOHANG) < 0 && errno == ECHILD); /* reaped meanwhile */
	/* our own state is as it was */
	CHECK(fcntl(100, F_GETFD) == 0);
	sigset_t cur;
	CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0 && sigismember(&cur, SIGTERM));

	/* the signal state, seen by a program exec'd directly (sh would clear the mask itself) */
	char out[256];
	snprintf(out, sizeof out, "%s/sig", dir);
	int saved = dup(1), f = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(saved >= 0 && f >= 0 && dup2(f, 1) == 1);
	char *grep_args[] = { "-E", "^Sig(Blk|Ign):", "/proc/self/status" };
	struct jshim_config g = cfg;
	g.exit_command = "/bin/grep";
	g.exit_command_args = grep_args;
	g.n_exit_command_args = 3;
	g.exit_delay_s = 0;
	CHECK(jshim_exit_command_run(&g) == 0);
	CHECK(dup2(saved, 1) == 1);
	close(saved);
	close(f);
	CHECK_STR(slurp("sig"), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");

	close(100);
	close(p[0]);
	close(p[1]);
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);

	/* no delay, killed by a signal: 128 + 9 */
	cfg.exit_delay_s = 0;
	args[1] = "kill";
	t0 = now_s();
	CHECK(jshim_exit_command_run(&cfg) == 137);
	CHECK(now_s() - t0 < 0.9);

	/* a command that cannot be executed: 127 */
	cfg.exit_command = "/nonexistent/exit-command";
	CHECK(jshim_exit_command_run(&cfg) == 127);

	/* SIGCHLD ignored by the caller: the status is still seen */
	signal(SIGCHLD, SIG_IGN);
	cfg.exit_command = "/bin/false";
	cfg.n_exit_command_args = 0;
	CHECK(jshim_exit_command_run(&cfg) == 1);
	signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	write_script();
	test_run();
	const char *names[] = { "argv", "fds", "sig", "env", "exit-cmd" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char p[256];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return check_result("test_exit_command");
}
