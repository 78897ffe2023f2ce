/* test_exit_file.c: the shimmy exit-file text and its atomic write. */
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "jshim_protocol.h"
#include "report.h"
#include "util.h"

static void test_format(void)
{
	char buf[256];
	const char *at = "2024-02-02T10:11:12.123456789+00:00";
	CHECK(jshim_exit_file_format(buf, sizeof buf, at, 0) > 0);
	CHECK_STR(buf, "{\"at\": \"2024-02-02T10:11:12.123456789+00:00\", \"reason\": \"exited\", \"exitCode\": 0}");
	CHECK(jshim_exit_file_format(buf, sizeof buf, at, 200 << 8) > 0);
	CHECK_STR(buf, "{\"at\": \"2024-02-02T10:11:12.123456789+00:00\", \"reason\": \"exited\", \"exitCode\": 200}");
	CHECK(jshim_exit_file_format(buf, sizeof buf, at, SIGKILL) > 0);
	CHECK_STR(buf, "{\"at\": \"2024-02-02T10:11:12.123456789+00:00\", \"reason\": \"signaled\", \"signal\": 9}");
	CHECK(jshim_exit_file_format(buf, sizeof buf, at, SIGSEGV | 0x80) > 0); /* core dumped */
	CHECK_STR(buf, "{\"at\": \"2024-02-02T10:11:12.123456789+00:00\", \"reason\": \"signaled\", \"signal\": 11}");
	CHECK(jshim_exit_file_format(buf, 10, at, 0) < 0);
}

static void test_rfc3339(void)
{
	regex_t re;
	char buf[64];
	struct timespec ts = { 1706868672, 5 };
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(jshim_rfc3339(buf, sizeof buf, &ts) == 0);
	CHECK_STR(buf, "2024-02-02T10:11:12.000000005+00:00");
	setenv("TZ", "EST5EDT", 1);
	tzset();
	CHECK(jshim_rfc3339(buf, sizeof buf, &ts) == 0);
	CHECK_STR(buf, "2024-02-02T05:11:12.000000005-05:00");
	CHECK(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}$",
		      REG_EXTENDED) == 0);
	CHECK(regexec(&re, buf, 0, NULL, 0) == 0);
	regfree(&re);
	CHECK(jshim_rfc3339(buf, 20, &ts) < 0);
}

static void test_write(void)
{
	char dir[] = "/tmp/jshim-test-exit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128], buf[256];
	snprintf(path, sizeof path, "%s/exit", dir);
	CHECK(jshim_exit_file_write(path, 3 << 8) == 0);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "\"reason\": \"exited\", \"exitCode\": 3}") != NULL);
	CHECK(buf[n - 1] == '}'); /* no newline */
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	/* no temp file left behind */
	snprintf(buf, sizeof buf, "%s/.exit.jshim-tmp.%d", dir, (int)getpid());
	CHECK(access(buf, F_OK) < 0);
	CHECK(jshim_exit_file_write("/nonexistent-dir/exit", 0) < 0);
	unlink(path);
	rmdir(dir);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A write that fails half-way (file size limit) leaves no temp file and no open fd. */
static void test_write_fails(void)
{
	char dir[] = "/tmp/jshim-test-exit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128], tmp[160];
	snprintf(path, sizeof path, "%s/exit", dir);
	snprintf(tmp, sizeof tmp, "%s/.exit.jshim-tmp.%d", dir, (int)getpid());
	struct rlimit old, small = { 4, 4 };
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_IGN);
	int before = count_fds();
	small.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	int r = jshim_write_file_atomic(path, "0123456789", 10, 0644);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(r == -EFBIG);
	CHECK(count_fds() == before);
	CHECK(access(tmp, F_OK) < 0);
	CHECK(access(path, F_OK) < 0);
	signal(SIGXFSZ, SIG_DFL);
	rmdir(dir);
}

/* The same strings as Rfc3339Test.java: the launcher's fallback exit file reads like the
 * daemon's (UTC, chrono's 0/3/6/9 fraction digits), stamped with the reap time. */
static void test_rfc3339_utc(void)
{
	static const struct {
		long nanos;
		const char *want;
	} cases[] = {
		{ 0, "2024-02-02T10:11:12+00:00" },
		{ 123000000, "2024-02-02T10:11:12.123+00:00" },
		{ 100000000, "2024-02-02T10:11:12.100+00:00" },
		{ 123456000, "2024-02-02T10:11:12.123456+00:00" },
		{ 1000, "2024-02-02T10:11:12.000001+00:00" },
		{ 123456789, "2024-02-02T10:11:12.123456789+00:00" },
		{ 1, "2024-02-02T10:11:12.000000001+00:00" },
	};
	char buf[64];
	int64_t t = 1706868672; /* 2024-02-02T10:11:12Z */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(jshim_rfc3339_utc(buf, sizeof buf, t * 1000000000 + cases[i].nanos) == 0);
		CHECK_STR(buf, cases[i].want);
	}
	CHECK(jshim_rfc3339_utc(buf, 10, t * 1000000000) < 0);
	char dir[] = "/tmp/jshim-test-exit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	CHECK(jshim_exit_file_write_at_time(dfd, "e", JSHIM_EXIT_SHIMMY_JSON, 3 << 8, false,
					    t * 1000000000 + 123000000) == 0);
	char path[96], text[256] = "";
	snprintf(path, sizeof path, "%s/e", dir);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL && fgets(text, sizeof text, f) != NULL);
	if (f != NULL)
		fclose(f);
	CHECK_STR(text, "{\"at\": \"2024-02-02T10:11:12.123+00:00\", \"reason\": \"exited\", \"exitCode\": 3}");
	unlink(path);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	test_rfc3339_utc();
	test_format();
	test_rfc3339();
	test_write();
	test_write_fails();
	return check_result("test_exit_file");
}
