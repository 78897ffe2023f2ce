/* status.c: the status sentence of a runtime_abnormal_termination report. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"

void jshim_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev != NULL)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

static int append(char *buf, size_t len, size_t *pos, const char *who, int status)
{
	char sig[32];
	const char *sep = *pos ? " " : "";
	int n;
	if (WIFSIGNALED(status)) {
		jshim_signal_name(WTERMSIG(status), sig, sizeof sig);
		n = snprintf(buf + *pos, len - *pos, "%s%s Received signal %s.", sep, who, sig);
	} else {
		n = snprintf(buf + *pos, len - *pos, "%s%s Exited with code %d.", sep, who,
			     WEXITSTATUS(status));
	}
	if (n < 0 || (size_t)n >= len - *pos)
		return -ENOSPC;
	*pos += (size_t)n;
	return 0;
}

int jshim_status_sentence(char *buf, size_t len, const struct jshim_phase1 *p)
{
	size_t pos = 0;
	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	int r = append(buf, len, &pos, "Runtime", p->runtime_status);
	if (r == 0 && p->container_died)
		r = append(buf, len, &pos, "Container", p->container_status);
	if (r == 0 && p->inflight_signal > 0) {
		char sig[32];
		jshim_signal_name(p->inflight_signal, sig, sizeof sig);
		int n = snprintf(buf + pos, len - pos, " Beware: inflight %s detected.", sig);
		if (n < 0 || (size_t)n >= len - pos)
			return -ENOSPC;
	}
	return r;
}
