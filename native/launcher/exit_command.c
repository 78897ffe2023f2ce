/* exit_command.c: fork + execv of the exit command with a clean fd table and signal state. */
#include "exit_command.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Child only: close every fd >= 3. */
static void close_from_3(void)
{
	if (close_range(3, ~0u, 0) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	/* closing while iterating is fine: entries of closed fds simply disappear */
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (fd >= 3 && fd != dfd)
			close(fd);
	}
	closedir(d);
}

static __attribute__((noreturn)) void exit_command_child(const struct jshim_config *cfg, char **argv)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* EINVAL for SIGKILL, SIGSTOP and glibc's own: ignored */
	close_from_3();
	if (cfg->exit_delay_s > 0) {
		struct timespec ts = { cfg->exit_delay_s, 0 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	execv(cfg->exit_command, argv);
	_exit(127);
}

int jshim_exit_command_run(const struct jshim_config *cfg)
{
	if (cfg->exit_command == NULL)
		return 0;
	char **argv = calloc(cfg->n_exit_command_args + 2, sizeof(char *));
	if (argv == NULL) {
		log_error("exit command %s: out of memory", cfg->exit_command);
		return -ENOMEM;
	}
	argv[0] = (char *)cfg->exit_command;
	for (size_t i = 0; i < cfg->n_exit_command_args; i++)
		argv[i + 1] = cfg->exit_command_args[i];
	if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) < 0)
		log_warn("prctl PR_SET_CHILD_SUBREAPER 0 (exit command): %s", strerror(errno));
	/* with SIGCHLD ignored the kernel reaps for us and waitpid sees nothing */
	struct sigaction sa;
	if (sigaction(SIGCHLD, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
		signal(SIGCHLD, SIG_DFL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		log_error("fork (exit command %s): %s", cfg->exit_command, strerror(e));
		free(argv);
		return -e;
	}
	if (pid == 0)
		exit_command_child(cfg, argv);
	free(argv);
	log_debug("exit command %s started: pid %d", cfg->exit_command, (int)pid);
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			log_error("waitpid (exit command %s, pid %d): %s", cfg->exit_command, (int)pid, strerror(e));
			return -e;
		}
		if (p != pid)
			continue; /* some other child (we were a subreaper until now) */
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (code != 0)
			log_warn("exit command %s: status %d", cfg->exit_command, code);
		return code;
	}
}
