/* test_oom.c: memory cgroup lookup, the oom_kill counter, and a real OOM kill (cgroup v1). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "oom.h"

/* This host: v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified. */
static const char hybrid_mi[] =
	"22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_cg[] =
	"9:name=systemd:/\n"
	"8:pids:/\n"
	"4:memory:/process_api/cd7cbd3f\n"
	"2:cpu,cpuacct:/x\n"
	"0::/unified-path\n";

static void test_find(void)
{
	char out[256];
	bool v2 = true;
	CHECK(jshim_cgroup_find(hybrid_cg, hybrid_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/memory/process_api/cd7cbd3f");
	CHECK(!v2);

	/* hybrid without a v1 memory mount: the v2 line on the cgroup2 mount */
	static const char no_mem_mi[] =
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	CHECK(jshim_cgroup_find(hybrid_cg, no_mem_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/unified/unified-path");
	CHECK(v2);

	/* pure v2 */
	static const char v2_mi[] = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
	CHECK(jshim_cgroup_find("0::/machine.slice/libpod-abc.scope/container\n", v2_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/machine.slice/libpod-abc.scope/container");
	CHECK(v2);
	CHECK(jshim_cgroup_find("0::/\n", v2_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup");
	/* no trailing newline */
	CHECK(jshim_cgroup_find("0::/a", v2_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/a");

	/* mount roots that are not "/": inside a container without a cgroup namespace */
	static const char nested_mi[] =
		"40 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n";
	v2 = true;
	CHECK(jshim_cgroup_find("4:memory:/docker/abc/sub\n", nested_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/memory/sub");
	CHECK(!v2);
	CHECK(jshim_cgroup_find("4:memory:/docker/abc\n", nested_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/memory");
	/* "/docker/abcd" is not below "/docker/abc": appended as a namespace-relative path */
	CHECK(jshim_cgroup_find("4:memory:/docker/abcd\n", nested_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/memory/docker/abcd");
	/* two mounts of the hierarchy: the one whose root contains the path wins */
	static const char two_mi[] =
		"40 31 0:32 /other /mnt/a rw - cgroup cgroup rw,memory\n"
		"41 31 0:32 /docker /mnt/b rw - cgroup cgroup rw,memory\n";
	CHECK(jshim_cgroup_find("4:memory:/docker/x\n", two_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/mnt/b/x");
	/* escaped mount point, controllers in one hierarchy */
	static const char esc_mi[] =
		"40 31 0:32 / /mnt/cg\\040mem rw - cgroup cgroup rw,cpu,memory,cpuacct\n";
	CHECK(jshim_cgroup_find("3:cpu,memory,cpuacct:/p\n", esc_mi, &v2, out, sizeof out) == 0);
	CHECK_STR(out, "/mnt/cg mem/p");

	/* not found: no memory line and no 0:: line, or no matching mount */
	CHECK(jshim_cgroup_find("4:cpu:/x\n", hybrid_mi, &v2, out, sizeof out) == -ENOENT);
	CHECK(jshim_cgroup_find("4:memory:/x\n", v2_mi, &v2, out, sizeof out) == -ENOENT);
	CHECK(jshim_cgroup_find("0::/x\n", "35 31 0:32 / /m rw - cgroup cgroup rw,memory\n", &v2, out,
				sizeof out) == -ENOENT);
	/* a controller name that only starts with "memory" */
	CHECK(jshim_cgroup_find("4:memoryx:/x\n", hybrid_mi, &v2, out, sizeof out) == -ENOENT);
	CHECK(jshim_cgroup_find("", "", &v2, out, sizeof out) == -ENOENT);
	CHECK(jshim_cgroup_find(hybrid_cg, hybrid_mi, &v2, out, 10) == -ENAMETOOLONG);
}

static void test_parse(void)
{
	uint64_t n = 99;
	CHECK(jshim_oom_parse_count("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", &n) == 0 && n == 0);
	CHECK(jshim_oom_parse_count("oom_kill_disable 1\nunder_oom 1\noom_kill 17\n", &n) == 0 && n == 17);
	CHECK(jshim_oom_parse_count("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", &n) == 0 &&
	      n == 2);
	CHECK(jshim_oom_parse_count("oom_kill 18446744073709551615", &n) == 0 && n == UINT64_MAX);
	CHECK(jshim_oom_parse_count("oom_kill 18446744073709551616\n", &n) == -EINVAL);
	CHECK(jshim_oom_parse_count("oom_kill_disable 0\nunder_oom 0\n", &n) == -ENOENT);
	CHECK(jshim_oom_parse_count("oom_kill x\n", &n) == -EINVAL);
	CHECK(jshim_oom_parse_count("oom_kill 3x\n", &n) == -EINVAL);
	CHECK(jshim_oom_parse_count("", &n) == -ENOENT);
}

static void test_write_files(void)
{
	char a[] = "/tmp/jshim-test-oom-XXXXXX", b[] = "/tmp/jshim-test-oom-XXXXXX", p[128], t[128];
	CHECK(mkdtemp(a) && mkdtemp(b));
	jshim_oom_write_files(a, NULL);
	snprintf(p, sizeof p, "%s/oom", a);
	struct stat st;
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	unlink(p);
	/* a symlink at b/oom is not followed */
	snprintf(p, sizeof p, "%s/oom", b);
	snprintf(t, sizeof t, "%s/target", b);
	CHECK(symlink(t, p) == 0);
	jshim_oom_write_files(a, b);
	CHECK(access(t, F_OK) < 0);
	snprintf(p, sizeof p, "%s/oom", a);
	CHECK(access(p, F_OK) == 0);
	jshim_oom_write_files(NULL, NULL);
	unlink(p);
	snprintf(p, sizeof p, "%s/oom", b);
	unlink(p);
	rmdir(a);
	rmdir(b);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -e;
}

/* Runs a child in a fresh 8 MiB memory cgroup; it allocates if hog. Returns its wait status. */
static int run_in_cgroup(bool hog, bool *oom)
{
	char cg[128], f[192], num[32];
	snprintf(cg, sizeof cg, "/sys/fs/cgroup/memory/jshim-test-%d", (int)getpid());
	if (mkdir(cg, 0755) < 0) {
		fprintf(stderr, "mkdir %s: %s\n", cg, strerror(errno));
		CHECK(!"mkdir memory cgroup");
		return -1;
	}
	snprintf(f, sizeof f, "%s/memory.limit_in_bytes", cg);
	CHECK(write_str(f, "8388608") == 0);
	snprintf(f, sizeof f, "%s/memory.swappiness", cg);
	if (access(f, F_OK) == 0)
		CHECK(write_str(f, "0") == 0);
	int go[2];
	CHECK(pipe(go) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (!hog)
			_exit(0);
		for (int i = 0; i < 256; i++) { /* up to 1 GiB, 4 MiB at a time */
			/* volatile: clang -O3 removes a malloc+memset whose memory is never read */
			volatile char *p = malloc(4 << 20);
			if (p == NULL)
				_exit(3);
			for (int j = 0; j < 4 << 20; j += 4096)
				p[j] = (char)(i + 1);
		}
		_exit(4);
	}
	CHECK(pid > 0);
	close(go[0]);
	snprintf(f, sizeof f, "%s/cgroup.procs", cg);
	snprintf(num, sizeof num, "%d", (int)pid);
	CHECK(write_str(f, num) == 0);
	struct jshim_oom o;
	CHECK(jshim_oom_watch(&o, pid) == 0);
	CHECK(o.fd >= 0 && !o.v2 && o.base == 0);
	CHECK(!jshim_oom_check(&o));
	CHECK(write(go[1], "x", 1) == 1);
	close(go[1]);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	*oom = jshim_oom_check(&o);
	jshim_oom_close(&o);
	CHECK(o.fd == -1);
	int r = -1;
	for (int i = 0; i < 100 && (r = rmdir(cg)) < 0 && errno == EBUSY; i++)
		usleep(20000);
	if (r < 0)
		fprintf(stderr, "rmdir %s: %s\n", cg, strerror(errno));
	CHECK(r == 0);
	return status;
}

static void test_real(void)
{
	bool oom = false;
	int status = run_in_cgroup(true, &oom);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(oom);
	oom = true;
	status = run_in_cgroup(false, &oom);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(!oom);

	/* our own cgroup resolves to a directory whose counter can be read */
	struct jshim_oom o;
	CHECK(jshim_oom_watch(&o, getpid()) == 0);
	CHECK(!jshim_oom_check(&o));
	jshim_oom_close(&o);
	/* a process that does not exist */
	CHECK(jshim_oom_watch(&o, 0x3fffffff) == -ENOENT);
	CHECK(o.fd == -1 && !jshim_oom_check(&o));
	jshim_oom_close(&o);
}

int main(void)
{
	test_find();
	test_parse();
	test_write_files();
	test_real();
	return check_result("test_oom");
}
