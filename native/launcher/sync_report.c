/* sync_report.c: the one JSON object written to the sync pipe, then the pipe is closed. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "report.h"
#include "util.h"

void jshim_report_pid(struct jshim_buf *b, pid_t pid)
{
	jshim_buf_printf(b, "{\"kind\":\"container_pid\",\"pid\":%d}", (int)pid);
}

void jshim_report_failure(struct jshim_buf *b, const char *status, const char *err, size_t errlen)
{
	jshim_buf_puts(b, "{\"kind\":\"runtime_abnormal_termination\",\"status\":");
	jshim_json_string(b, status, strlen(status));
	jshim_buf_puts(b, ",\"stderr\":");
	jshim_json_string(b, err ? err : "", err ? errlen : 0);
	jshim_buf_puts(b, "}");
}

int jshim_report_send(int *fd, const struct jshim_buf *b)
{
	int r = 0;
	if (b->oom || b->data == NULL) {
		log_error("report: out of memory while formatting it");
		r = -ENOMEM;
	} else {
		r = jshim_write_all(*fd, b->data, b->len);
		if (r == -EPIPE)
			log_warn("report: write sync pipe fd %d: the manager is gone (EPIPE); serving anyway",
				 *fd);
		else if (r < 0)
			log_error("report: write sync pipe fd %d: %s", *fd, strerror(-r));
		else
			log_debug("report: %s", b->data);
	}
	jshim_close(fd);
	return r;
}
