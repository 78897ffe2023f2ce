/* test_sync_msg.c: conmon's sync/attach pipe records, byte-exact. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "sync_msg.h"

static char buf[8192];

static const char *fmt(const char *key, int64_t v, const char *msg, size_t len)
{
	size_t n = jshim_sync_format(buf, sizeof buf, key, v, msg, len);
	CHECK(n == strlen(buf));
	return buf;
}

static void test_basic(void)
{
	CHECK_STR(jshim_sync_key(1), "data");
	CHECK_STR(jshim_sync_key(0), "pid");
	CHECK_STR(fmt("data", 10693, NULL, 0), "{\"data\": 10693}\n");
	CHECK(strlen(buf) == 16);
	CHECK_STR(fmt("data", 0, NULL, 0), "{\"data\": 0}\n");
	CHECK(strlen(buf) == 12);
	CHECK_STR(fmt("pid", 12345, NULL, 0), "{\"pid\": 12345}\n");
	CHECK_STR(fmt("exit_code", 3, NULL, 0), "{\"exit_code\": 3}\n");
	const char *to = "command timed out";
	CHECK_STR(fmt("exit_code", -1, to, strlen(to)), "{\"exit_code\": -1, \"message\": \"command timed out\"}\n");
	CHECK_STR(fmt("data", -1, to, strlen(to)), "{\"data\": -1, \"message\": \"command timed out\"}\n");
	CHECK_STR(fmt("data", INT64_MIN, NULL, 0), "{\"data\": -9223372036854775808}\n");
	CHECK_STR(fmt("data", -1, "", 0), "{\"data\": -1, \"message\": \"\"}\n");
}

/* The observed 169-byte runc failure record of conmon-protocol.md 2.4. */
static void test_observed(void)
{
	const char *m = "runc create failed: unable to start container process: exec: \"/bin/nonexistent-cmd\": "
			"stat /bin/nonexistent-cmd: no such file or directory\n";
	fmt("data", -1, m, strlen(m));
	CHECK_STR(buf, "{\"data\": -1, \"message\": \"runc create failed: unable to start container process: exec: "
		       "\\\"/bin/nonexistent-cmd\\\": stat /bin/nonexistent-cmd: no such file or directory\\n\"}\n");
	CHECK(strlen(buf) == 169);
}

static void test_escape(void)
{
	const char m[] = "a\\b\"c\td\x01\x1f\x7f\xc3\xa9\xff\xe2\x82z\xf0\x9f\x98\x80\0e";
	fmt("pid", -1, m, sizeof m - 1);
	CHECK_STR(buf, "{\"pid\": -1, \"message\": \"a\\\\b\\\"c\\td\\u0001\\u001f\x7f\xc3\xa9\\ufffd\\ufffd\\ufffdz"
		       "\xf0\x9f\x98\x80\\u0000e\"}\n");
	/* overlong encoding and a surrogate are invalid */
	fmt("pid", -1, "\xc0\xaf\xed\xa0\x80", 5);
	CHECK_STR(buf, "{\"pid\": -1, \"message\": \"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"}\n");
}

/* Long messages are cut below 4096 bytes, never inside an escape or a UTF-8 sequence. */
static void test_cut(void)
{
	static char m[20000];
	const char *units[] = { "a", "\n", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff" };
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
		for (size_t shift = 0; shift < 8; shift++) {
			size_t ul = strlen(units[u]), len = 0;
			for (size_t i = 0; i < shift; i++)
				m[len++] = 'x';
			while (len + ul < sizeof m) {
				memcpy(m + len, units[u], ul);
				len += ul;
			}
			size_t n = jshim_sync_format(buf, sizeof buf, "data", -1, m, len);
			CHECK(n < 4096 && n == strlen(buf));
			CHECK(n > 4096 - 12); /* cut as late as the unit allows */
			CHECK(n >= 3 && memcmp(buf + n - 3, "\"}\n", 3) == 0);
			/* the escaped text is a whole number of units after the x's */
			const char *esc = u == 1 ? "\\n" : u == 2 ? "\\u0001" : u == 6 ? "\\ufffd" : units[u];
			size_t el = strlen(esc), head = strlen("{\"data\": -1, \"message\": \"") + shift;
			size_t body = n - 3 - head;
			CHECK(body % el == 0);
			CHECK(memcmp(buf + head + body - el, esc, el) == 0);
		}
	}
	/* a buffer of exactly 4096 bytes */
	char small[4096];
	memset(m, 'q', 5000);
	size_t n = jshim_sync_format(small, sizeof small, "pid", 1, m, 5000);
	CHECK(n == 4095 && small[4095] == '\0' && small[4094] == '\n');
}

static void test_send(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(jshim_sync_send(sv[0], "data", 42, "x\ny", 3) == 0);
	CHECK(jshim_sync_send(sv[0], "data", 7, NULL, 0) == 0);
	char r[8192];
	ssize_t n = recv(sv[1], r, sizeof r, 0);
	CHECK(n == (ssize_t)strlen("{\"data\": 42, \"message\": \"x\\ny\"}\n"));
	CHECK(n > 0 && memcmp(r, "{\"data\": 42, \"message\": \"x\\ny\"}\n", (size_t)n) == 0);
	n = recv(sv[1], r, sizeof r, 0); /* one record per message */
	CHECK(n == 12 && memcmp(r, "{\"data\": 7}\n", 12) == 0);
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(jshim_sync_send(sv[0], "data", 1, NULL, 0) == -EPIPE);
	close(sv[0]);
	CHECK(jshim_sync_send(sv[0], "data", 1, NULL, 0) == -EBADF);
	/* a pipe (CRI-O ExecSync) */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(jshim_sync_send(p[1], "exit_code", 0, NULL, 0) == 0);
	n = read(p[0], r, sizeof r);
	CHECK(n == 17 && memcmp(r, "{\"exit_code\": 0}\n", 17) == 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	test_basic();
	test_observed();
	test_escape();
	test_cut();
	test_send();
	return check_result("test_sync_msg");
}
