import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Benchmark 4: scale. N sleeping containers created 8 at a time, conmon and jshim interleaved
 * per run (a fresh jshimd for each run). Per shim: every create's latency (p50, p99 of the
 * run), failures with the first error, the monitors' PSS per container, jshimd's RSS, PSS and
 * VmHWM, and the CPU everything uses while all N sit idle for a fixed window; then the
 * teardown's time and what it left behind (runc containers, cgroups, mounts).
 */
final class ScalePhase {
    private final Bench.Ctx c;
    private final Shim s;
    private final Results r;
    private final Phases ph;

    ScalePhase(Bench.Ctx c, Shim s, Results r, Phases ph) {
        this.c = c;
        this.s = s;
        this.r = r;
        this.ph = ph;
    }

    static String param(Bench.Ctx c) {
        return "N=" + c.scaleCount;
    }

    void run() {
        String p = param(c);
        limits();
        for (int run = 1; run <= c.runs; run++) {
            for (Shim.Kind kind : List.of(Shim.Kind.CONMON, Shim.Kind.JSHIM)) {
                String v = kind.name().toLowerCase();
                if (!ph.usable("scale", v)) continue;
                if (kind == Shim.Kind.JSHIM) s.stopJshimd(); // VmHWM and CPU then cover this run only
                int mounts0 = mounts();
                long t0 = System.nanoTime();
                List<Shim.Created> cs = ph.createMany(kind, c.scaleCount);
                double secs = (System.nanoTime() - t0) / 1e9;
                long bad = cs.stream().filter(x -> !x.ok()).count();
                String first = cs.stream().filter(x -> !x.ok()).map(Shim.Created::error).findFirst().orElse(null);
                ph.outcome("scale", v, bad == 0, bad + " of " + c.scaleCount + " creates failed, first: " + first);
                r.add("scale", v, p, run, "total_s", secs);
                r.add("scale", v, p, run, "failures", bad);
                latencies(cs, v, p, run);
                System.err.printf("bench: scale run %d %s: %d created in %.1f s, %d failures%n", run, v,
                                  cs.size() - bad, secs, bad);
                Host.sleep(5000); // let the shims and the daemon settle before the idle window
                idle(cs, kind, v, p, run);
                memory(cs, kind, v, p, run);
                long t1 = System.nanoTime();
                ph.removeMany(cs);
                r.add("scale", v, p, run, "teardown_s", (System.nanoTime() - t1) / 1e9);
                leftovers(cs, v, p, run, mounts0);
            }
        }
    }

    private void latencies(List<Shim.Created> cs, String v, String p, int run) {
        double[] us = cs.stream().filter(Shim.Created::ok).mapToDouble(x -> Math.max(x.reportUs(), x.exitUs()))
            .sorted().toArray();
        for (double u : us) r.add("scale", v, p, run, "create_us", u);
        if (us.length == 0) return;
        r.add("scale", v, p, run, "create_p50_us", pct(us, 50));
        r.add("scale", v, p, run, "create_p99_us", pct(us, 99));
        r.add("scale", v, p, run, "create_max_us", us[us.length - 1]);
    }

    /** Nearest-rank percentile of sorted values. */
    static double pct(double[] sorted, int q) {
        int i = (int) Math.ceil(q / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** CPU over the idle window: each monitor's (schedstat ns) and jshimd's (stat ticks, all threads). */
    private void idle(List<Shim.Created> cs, Shim.Kind kind, String v, String p, int run) {
        int[] pids = cs.stream().filter(Shim.Created::ok).mapToInt(Shim.Created::shimPid).toArray();
        long[] before = new long[pids.length];
        for (int i = 0; i < pids.length; i++) before[i] = Host.schedNs(pids[i]);
        int d = kind == Shim.Kind.JSHIM ? s.jshimdPid() : -1;
        long d0 = d > 0 ? Host.cpuTicks(d) : -1;
        long t0 = System.nanoTime();
        Host.sleep(c.scaleIdleS * 1000L);
        long d1 = d > 0 ? Host.cpuTicks(d) : -1;
        double window = (System.nanoTime() - t0) / 1e9;
        long sum = 0;
        int n = 0;
        for (int i = 0; i < pids.length; i++) {
            long a = Host.schedNs(pids[i]);
            if (a < 0 || before[i] < 0) continue; // gone: its time is unknown
            sum += a - before[i];
            n++;
        }
        if (n < pids.length) r.note("scale/" + v + ": " + (pids.length - n) + " monitors exited during the idle window");
        r.add("scale", v, p, run, "idle_window_s", window);
        r.add("scale", v, p, run, "idle_monitors_ms", sum / 1e6);
        if (n > 0) r.add("scale", v, p, run, "idle_monitor_us_each", sum / 1e3 / n);
        if (d0 >= 0 && d1 >= 0) r.add("scale", v, p, run, "idle_daemon_ms", (d1 - d0) * 1000.0 / c.clkTck);
        else if (kind == Shim.Kind.JSHIM) r.note("scale/jshim: no jshimd process to measure its idle CPU");
        System.err.printf("bench: scale run %d %s: idle %.0f s: monitors %.1f ms, daemon %s ticks%n", run, v,
                          window, sum / 1e6, d0 >= 0 && d1 >= 0 ? Long.toString(d1 - d0) : "?");
    }

    private void memory(List<Shim.Created> cs, Shim.Kind kind, String v, String p, int run) {
        long[] m = Phases.monitorPss(cs);
        long sum = m[0], ok = m[1];
        if (ok > 0) r.add("scale", v, p, run, "per_container_kb", (double) sum / ok);
        long total = sum;
        if (kind == Shim.Kind.JSHIM) {
            int d = s.jshimdPid();
            if (d <= 0) {
                r.note("scale/jshim: no jshimd process found");
                return;
            }
            long pss = Host.pssKb(d);
            total += pss;
            r.add("scale", v, p, run, "daemon_pss_kb", pss);
            r.add("scale", v, p, run, "daemon_rss_kb", Host.rssKb(d));
            r.add("scale", v, p, run, "daemon_hwm_kb", Host.hwmKb(d));
            r.add("scale", v, p, run, "daemon_threads", Host.count(d, "task"));
            r.add("scale", v, p, run, "daemon_fds", Host.count(d, "fd"));
            c.daemonLimits = "jshimd's RLIMIT_NOFILE " + Host.run("sh", "-c", "grep 'Max open files' /proc/" + d
                + "/limits | awk '{print $4\"/\"$5}'").text();
        }
        if (ok > 0) r.add("scale", v, p, run, "total_kb", total);
        System.err.printf("bench: scale run %d %s: PSS %.0f KiB per container, total %.1f MiB%n", run, v,
                          ok > 0 ? (double) sum / ok : Double.NaN, total / 1024.0);
    }

    /** What the teardown left: runc containers, cgroups named after our containers, mounts. */
    private void leftovers(List<Shim.Created> cs, String v, String p, int run, int mounts0) {
        Host.Out l = Host.run(c.runc, "--root", c.runcRoot.toString(), "list", "-q");
        long runc = l.code() == 0 ? Arrays.stream(l.text().split("\\s+")).filter(x -> !x.isBlank()).count() : -1;
        Set<String> ids = new HashSet<>();
        for (Shim.Created cr : cs) ids.add(cr.id());
        int cg = 0, kept = 0;
        for (Path dir : Host.cgroupDirs()) {
            String[] names = dir.toFile().list();
            if (names == null) continue;
            for (String n : names) {
                if (!ids.contains(n)) continue;
                cg++;
                try {
                    Files.delete(dir.resolve(n)); // rmdir: the shim is gone, so it is empty
                } catch (java.io.IOException e) {
                    kept++;
                }
            }
        }
        int mounts = mounts() - mounts0;
        r.add("scale", v, p, run, "left_runc", runc);
        r.add("scale", v, p, run, "left_cgroups", cg);
        r.add("scale", v, p, run, "left_mounts", mounts);
        if (runc != 0 || cg != 0 || mounts != 0)
            r.note(f("scale/%s run %d: teardown left %d runc containers, %d cgroup dirs (%d removed here, %d not), "
                     + "%+d mounts", v, run, runc, cg, cg - kept, kept, mounts));
    }

    private static String f(String fmt, Object... a) {
        return String.format(java.util.Locale.ROOT, fmt, a);
    }

    /** Mounts on the host under our work dir or the rootfs (not others' mounts, which come and go). */
    private int mounts() {
        String m = Host.read(Path.of("/proc/self/mountinfo"));
        if (m == null) return -1;
        return (int) Arrays.stream(m.split("\n"))
            .filter(l -> l.contains(c.work.toString()) || l.contains(c.rootfs.toString())).count();
    }

    /** The limits that decide whether N containers fit, as a note under the table. */
    private void limits() {
        // (cat: Files.readString of a sysctl file returns its first byte only on this kernel)
        String pidMax = Host.run("cat", "/proc/sys/kernel/pid_max").text();
        String threadsMax = Host.run("cat", "/proc/sys/kernel/threads-max").text();
        String nofile = Host.run("sh", "-c", "ulimit -n").text();
        String init = Host.run("sh", "-c", "grep 'Max open files' /proc/1/limits | awk '{print $4\"/\"$5}'").text();
        c.scaleLimits = f("pid_max %s, threads-max %s, the driver's RLIMIT_NOFILE %s, PID 1's (which jshimd gets, soft "
            + "raised to hard by the JVM) %s; %d MiB free", pidMax, threadsMax, nofile, init,
            Host.kbField(Path.of("/proc/meminfo"), "MemAvailable") / 1024);
    }
}
