/* test_report.c: JSON escaping, the sync-pipe report and the status sentence. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "json.h"
#include "report.h"

#define EXITED(code) ((code) << 8)
#define SIGNALED(sig) (sig)

static void check_escape(const char *in, size_t len, const char *want)
{
	struct jshim_buf b = { 0 };
	jshim_json_string(&b, in, len);
	CHECK(!b.oom);
	CHECK_STR(b.data, want);
	jshim_buf_free(&b);
}

static void test_escaping(void)
{
	check_escape("", 0, "\"\"");
	check_escape("plain text", 10, "\"plain text\"");
	check_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_escape("l1\nl2\t\r", 7, "\"l1\\u000al2\\u0009\\u000d\"");
	check_escape("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	check_escape("nul\0x", 5, "\"nul\\u0000x\"");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	check_escape("a\xff" "b", 3, "\"a\\ufffdb\"");
	check_escape("\xc3", 1, "\"\\ufffd\"");                   /* truncated sequence */
	check_escape("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");        /* overlong */
	check_escape("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	check_escape("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	check_escape("\x7f", 1, "\"\x7f\"");
}

static void test_reports(void)
{
	struct jshim_buf b = { 0 };
	jshim_report_pid(&b, 12345);
	CHECK_STR(b.data, "{\"kind\":\"container_pid\",\"pid\":12345}");
	jshim_buf_free(&b);
	const char *err = "time=\"x\" level=error msg=\"No help topic for 'foobar=123'\"\n";
	jshim_report_failure(&b, "Runtime Exited with code 3.", err, strlen(err));
	CHECK_STR(b.data, "{\"kind\":\"runtime_abnormal_termination\",\"status\":\"Runtime Exited with code "
			  "3.\",\"stderr\":\"time=\\\"x\\\" level=error msg=\\\"No help topic for "
			  "'foobar=123'\\\"\\u000a\"}");
	jshim_buf_free(&b);
	jshim_report_failure(&b, "s", NULL, 0);
	CHECK_STR(b.data, "{\"kind\":\"runtime_abnormal_termination\",\"status\":\"s\",\"stderr\":\"\"}");

	/* send: written fully, fd closed, no trailing newline */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(jshim_report_send(&p[1], &b) == 0);
	CHECK(p[1] == -1);
	char got[256];
	ssize_t n = read(p[0], got, sizeof got - 1);
	CHECK(n == (ssize_t)b.len);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, b.data);
	CHECK(read(p[0], got, 1) == 0); /* EOF: the write end was closed */
	close(p[0]);

	/* EPIPE: reported, not fatal, fd still closed */
	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(p) == 0);
	close(p[0]);
	CHECK(jshim_report_send(&p[1], &b) == -EPIPE);
	CHECK(p[1] == -1);
	jshim_buf_free(&b);
}

static void check_status(int rt, int died, int cst, int inflight, const char *want)
{
	struct jshim_phase1 p = { rt, died, cst, inflight };
	char buf[256];
	CHECK(jshim_status_sentence(buf, sizeof buf, &p) == 0);
	CHECK_STR(buf, want);
}

static void test_status(void)
{
	check_status(EXITED(3), 0, 0, 0, "Runtime Exited with code 3.");
	check_status(EXITED(1), 0, 0, 0, "Runtime Exited with code 1.");
	check_status(SIGNALED(SIGKILL), 0, 0, 0, "Runtime Received signal SIGKILL.");
	check_status(SIGNALED(SIGTERM), 0, 0, 0, "Runtime Received signal SIGTERM.");
	check_status(EXITED(0), 1, EXITED(2), 0, "Runtime Exited with code 0. Container Exited with code 2.");
	check_status(EXITED(0), 1, SIGNALED(SIGSEGV), 0,
		     "Runtime Exited with code 0. Container Received signal SIGSEGV.");
	check_status(EXITED(1), 0, 0, SIGTERM, "Runtime Exited with code 1. Beware: inflight SIGTERM detected.");
	check_status(SIGNALED(SIGINT), 1, EXITED(255), SIGQUIT,
		     "Runtime Received signal SIGINT. Container Exited with code 255. Beware: inflight "
		     "SIGQUIT detected.");
	char small[8];
	struct jshim_phase1 p = { EXITED(3), 0, 0, 0 };
	CHECK(jshim_status_sentence(small, sizeof small, &p) < 0);
}

int main(void)
{
	test_escaping();
	test_reports();
	test_status();
	return check_result("test_report");
}
