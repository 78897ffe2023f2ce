/* runtime_argv.c: the runtime's argv for create, restore and exec (conmon's order; shimmy's
 * create is the same with no optional flags). */
#include <errno.h>

#include "runtime.h"

size_t jshim_runtime_argv_cap(const struct jshim_config *cfg)
{
	return cfg->n_runtime_args + cfg->n_runtime_opts + 24;
}

int jshim_runtime_argv(const struct jshim_config *cfg, const char *console_socket, char **argv, size_t cap)
{
	size_t n = 0;
	if (cap < jshim_runtime_argv_cap(cfg))
		return -E2BIG;
#define ADD(s) (argv[n++] = (char *)(s))
	ADD(cfg->runtime);
	if (cfg->systemd_cgroup && !cfg->exec)
		ADD("--systemd-cgroup");
	for (size_t i = 0; i < cfg->n_runtime_args; i++)
		ADD(cfg->runtime_args[i]);
	if (cfg->exec) {
		ADD("exec");
		ADD("--pid-file");
		ADD(cfg->container_pidfile);
		ADD("--process");
		ADD(cfg->exec_process_spec);
		ADD("--detach");
		if (cfg->terminal)
			ADD("--tty");
	} else {
		ADD(cfg->restore_path ? "restore" : "create");
		ADD("--bundle");
		ADD(cfg->bundle);
		ADD("--pid-file");
		ADD(cfg->container_pidfile);
		if (cfg->no_pivot)
			ADD("--no-pivot");
		if (cfg->no_new_keyring)
			ADD("--no-new-keyring");
		if (cfg->restore_path) {
			ADD("--detach");
			ADD("--image-path");
			ADD(cfg->restore_path);
			ADD("--work-path");
			ADD(cfg->bundle);
		}
	}
	for (size_t i = 0; i < cfg->n_runtime_opts; i++)
		ADD(cfg->runtime_opts[i]);
	if (console_socket != NULL) {
		ADD("--console-socket");
		ADD(console_socket);
	}
	ADD(cfg->container_id);
	argv[n] = NULL;
#undef ADD
	return (int)n;
}
