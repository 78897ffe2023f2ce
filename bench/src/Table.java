import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The markdown table: medians (min–max) over interleaved runs, then the targets as ratios. */
final class Table {
    private Table() {}

    private static String f(String fmt, Object... a) {
        return String.format(Locale.ROOT, fmt, a);
    }

    /** "ratio (verdict)" for value ⋚ limit; "n/a" when either side is missing. */
    private static String[] target(String name, double value, double limit, boolean atMost, String unitFmt) {
        if (Double.isNaN(value) || Double.isNaN(limit)) return new String[] {name, "n/a (no samples)", "n/a"};
        boolean met = atMost ? value <= limit : value >= limit;
        return new String[] {name, f(unitFmt, value, limit), met ? "**met**" : "**not met**"};
    }

    static String render(Bench.Ctx c, Results r, String machine, double minutes) {
        StringBuilder t = new StringBuilder();
        t.append("## jshim vs conmon, ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            .substring(0, 16)).append(c.quick ? " (--quick)" : "").append("\n\n");
        t.append("Machine: ").append(machine).append(".\n\n");
        t.append(f("%d interleaved runs per benchmark (A,B,C,A,B,C…; %d for create latency); every cell is the median "
            + "(min–max) over runs. Took %.1f min. Raw samples: `samples.csv`.%n%n", c.runs, c.createRuns, minutes));

        String sp = "N=" + c.scaleCount;
        if (c.phases.contains("create")) create(t, r);
        if (c.phases.contains("memory")) memory(t, c, r);
        if (c.phases.contains("log")) log(t, c, r);
        if (c.phases.contains("scale")) scale(t, c, r, sp);

        int nMax = c.memoryNs[c.memoryNs.length - 1];
        String pm = "N=" + nMax;
        t.append("\n### Targets (ratios of medians from this run)\n\n");
        t.append(Results.row("target", "measured", "verdict"));
        t.append(Results.row("---", "---", "---"));
        t.append(Results.row(target("create overhead, jshimd warm ≤ conmon's",
            r.median("create", "jshim-warm", "", "overhead_us") / 1000, r.median("create", "conmon", "", "overhead_us") / 1000,
            true, "%.1f ms vs %.1f ms")));
        t.append(Results.row(target("launcher PSS ≤ 0.6× conmon's per container (N = " + nMax + ")",
            r.median("memory", "jshim", pm, "per_container_kb") / r.median("memory", "conmon", pm, "per_container_kb"),
            0.6, true, "%.2f× (limit %.1f×)")));
        // issue 12: launchers + jshimd ≤ conmon's total at N = 100; jshimd ≤ 20 MiB (here with one container)
        int nTotal = java.util.Arrays.stream(c.memoryNs).anyMatch(n -> n == 100) ? 100 : nMax;
        t.append(Results.row(target("total PSS ≤ conmon's total (N = " + nTotal + ")",
            r.median("memory", "jshim", "N=" + nTotal, "total_kb") / r.median("memory", "conmon", "N=" + nTotal, "total_kb"),
            1.0, true, "%.2f× (limit %.1f×)")));
        t.append(Results.row(target("jshimd PSS ≤ 20 MiB (N = " + c.memoryNs[0] + ")",
            r.median("memory", "jshim", "N=" + c.memoryNs[0], "daemon_kb") / 1024, 20, true, "%.1f MiB (limit %.0f)")));
        // issue 12: lines ≥ 0.5× the pipe-to-file limit, one line ≥ 0.6×, ≤ 1 CPU-s/GiB, in both formats
        // (the shims fsync the log before the exit file, the plain copy does not: each is also
        // given against the copy with an fsync, and --no-sync-log against the plain copy)
        for (String v : new String[] {"jshim", "jshim-k8s", "jshim-k8s-nosync"})
            for (String p : new String[] {"lines", "oneline"}) {
                double j = r.median("log", v, p, "mib_s");
                double limit = p.equals("lines") ? 0.5 : 0.6;
                t.append(Results.row(target("log " + v + " " + p + ": ≥ " + limit + "× pipe-to-file",
                    j / r.median("log", "pipe", p, "mib_s"), limit, false, "%.2f× (limit %.1f×)")));
                if (!v.endsWith("nosync"))
                    t.append(Results.row(target("log " + v + " " + p + ": ≥ " + limit + "× pipe-to-file + fsync",
                        j / r.median("log", "pipe-sync", p, "mib_s"), limit, false, "%.2f× (limit %.1f×)")));
                t.append(Results.row(target("log " + v + " " + p + ": ≤ 1 CPU-s/GiB", r.median("log", v, p, "cpu_s_gib"),
                    1.0, true, "%.2f s/GiB (limit %.1f)")));
            }
        double fails = r.sum("scale", "jshim", sp, "failures");
        t.append(Results.row(target("scale: 0 failures (" + c.scaleCount + " × " + c.runs + ")",
            r.stat("scale", "jshim", sp, "failures") == null ? Double.NaN : fails, 0, true, "%.0f (limit %.0f)")));
        // "about zero": under 1 % of one CPU over the idle window
        t.append(Results.row(target("scale: jshimd CPU while " + c.scaleCount + " sit idle ≈ 0 (share of one CPU)",
            r.median("scale", "jshim", sp, "idle_daemon_ms") / 1000 / r.median("scale", "jshim", sp, "idle_window_s"),
            0.01, true, "%.4f (limit %.2f)")));
        t.append(Results.row(target("scale: launchers + jshimd PSS ≤ conmon's total (N = " + c.scaleCount + ")",
            r.median("scale", "jshim", sp, "total_kb") / r.median("scale", "conmon", sp, "total_kb"),
            1.0, true, "%.2f× (limit %.1f×)")));

        t.append("""

            Method. Create: `spawn_timed` reads CLOCK_MONOTONIC just before fork(), execs the shim with the sync \
            pipe (jshim: a pipe at fd 3, read to EOF, as conman; conmon: SEQPACKET socketpairs as \
            `_OCI_SYNCPIPE`/`_OCI_STARTPIPE`, podman's argv without the exit command) and stops when the report is \
            read and the shim's first process has exited; bare runc is timed to the exit of `runc create`. Cold = \
            jshimd killed before the sample. Memory: `Pss` of /proc/PID/smaps_rollup of every monitor process \
            (conmon's `-P` pid, jshim's `--shimmy-pidfile` pid) and of the jshimd java process, 1 s after the last \
            create (a fresh jshimd for every N). Log: the container runs busybox `cat` of a payload file \
            bind-mounted read-only at /run (busybox `yes | head -c` makes only ~140 MiB/s here, slower than the \
            shims); the limit is `busybox cat payload | busybox cat > file` on the host, and with `&& busybox sync file` the limit for a shim that fsyncs its log; discarded warm-up \
            rounds first (`--log-warmups`, 2 by default: a fresh jshimd's pump is compiled by C2 some 10 s into its first stream, and \
            recompiled once it meets the second log format). Log CPU: utime+stime of the monitor read from /proc/PID/stat while \
            it is a zombie (the benchmark runs under a subreaper that logs it before reaping, so nothing is lost at \
            exit and the container's CPU, a child, is not included), plus jshimd's utime+stime (all threads) \
            before `runc start` and after the exit file. Scale: N containers created by 8 concurrent creators \
            (latency per create as in Create), a fresh jshimd per run; 5 s to settle, then an idle window in which \
            each monitor's CPU is the sum of /proc/PID/task/*/schedstat (ns, exact for these single-threaded \
            processes) and jshimd's the utime+stime of /proc/PID/stat (all threads, also those that end in the \
            window); then PSS as in Memory, jshimd's VmRSS and VmHWM; teardown is a SIGKILL to every container's init, \
            the wait for the shims to exit, then what `runc delete` does (rmdir of the cgroups, the state dir) \
            in-process, `runc delete -f` only where a shim did not exit within 30 s; left behind = `runc list` under the private root, cgroups named after the \
            containers (below our own cgroup and each hierarchy's root; removed by the bench then) and host mounts \
            under the work dir or the rootfs added.
            """);
        if (!r.notes().isEmpty()) {
            t.append("\nProblems seen during this run:\n\n");
            for (String n : r.notes()) t.append("- ").append(n.replace('\n', ' ')).append('\n');
        }
        return t.toString();
    }

    private static void create(StringBuilder t, Results r) {
        t.append("### 1. Create latency (ms): exec of the shim → container pid read from its sync pipe\n\n");
        t.append(Results.row("variant", "create", "overhead over bare `runc create` (paired per run)", "failures"));
        t.append(Results.row("---", "---:", "---:", "---:"));
        String[][] cv = {{"runc", "bare `runc create`"}, {"conmon", "conmon 2.1.6"},
                         {"jshim-warm", "jshim, jshimd warm"}, {"jshim-cold", "jshim, jshimd cold"}};
        for (String[] v : cv)
            t.append(Results.row(v[1], r.cell("create", v[0], "", "create_us", 1000, 1),
                v[0].equals("runc") ? "–" : r.cell("create", v[0], "", "overhead_us", 1000, 1),
                f("%.0f", r.sum("create", v[0], "", "failures"))));
    }

    private static void memory(StringBuilder t, Bench.Ctx c, Results r) {
        t.append("\n### 2. Memory: PSS of sleeping containers' shims\n\n");
        t.append(Results.row("N", "conmon per container (KiB)", "conmon total (MiB)", "jshim launcher per "
            + "container (KiB)", "jshimd (MiB)", "jshim total (MiB)", "launcher / conmon", "jshim total / conmon total"));
        t.append(Results.row("---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"));
        for (int n : c.memoryNs) {
            String p = "N=" + n;
            double lr = r.median("memory", "jshim", p, "per_container_kb") / r.median("memory", "conmon", p, "per_container_kb");
            double tr = r.median("memory", "jshim", p, "total_kb") / r.median("memory", "conmon", p, "total_kb");
            t.append(Results.row(Integer.toString(n), r.cell("memory", "conmon", p, "per_container_kb", 1, 0),
                r.cell("memory", "conmon", p, "total_kb", 1024, 1), r.cell("memory", "jshim", p, "per_container_kb", 1, 0),
                r.cell("memory", "jshim", p, "daemon_kb", 1024, 1), r.cell("memory", "jshim", p, "total_kb", 1024, 1),
                Double.isNaN(lr) ? "–" : f("%.2f×", lr), Double.isNaN(tr) ? "–" : f("%.2f×", tr)));
        }
    }

    private static void log(StringBuilder t, Bench.Ctx c, Results r) {
        t.append(f("%n### 3. Log throughput: %d MiB through the shim into its log, `runc start` → exit file%n%n",
                   c.payloadBytes >> 20));
        t.append(Results.row("payload", "path", "MiB/s", "shim CPU s/GiB", "launcher (monitor) CPU s/GiB",
                             "jshimd CPU s/GiB", "log file (MiB)"));
        t.append(Results.row("---", "---", "---:", "---:", "---:", "---:", "---:"));
        for (String p : new String[] {"lines", "oneline"}) {
            String pn = p.equals("lines") ? "80-byte lines" : "one line, no newline";
            t.append(Results.row(pn, "pipe → `cat > file` (limit)", r.cell("log", "pipe", p, "mib_s", 1, 0), "–", "–", "–", "–"));
            t.append(Results.row(pn, "pipe → `cat > file`, then fsync (limit with the shims' fsync)",
                r.cell("log", "pipe-sync", p, "mib_s", 1, 0), "–", "–", "–", "–"));
            for (String v : new String[] {"conmon", "jshim", "jshim-k8s", "jshim-k8s-nosync"})
                t.append(Results.row(pn, v.equals("conmon") ? "conmon, k8s-file" : v.equals("jshim") ? "jshim, shimmy format"
                    : v.equals("jshim-k8s") ? "jshim, k8s-file (conmon argv)" : "jshim, k8s-file, `--no-sync-log`",
                    r.cell("log", v, p, "mib_s", 1, 0),
                    r.cell("log", v, p, "cpu_s_gib", 1, 2), r.cell("log", v, p, "launcher_cpu_s_gib", 1, 2),
                    v.startsWith("jshim") ? r.cell("log", v, p, "daemon_cpu_s_gib", 1, 2) : "–",
                    r.cell("log", v, p, "log_bytes", 1048576, 0)));
        }
    }

    private static void scale(StringBuilder t, Bench.Ctx c, Results r, String sp) {
        t.append(f("%n### 4. Scale: %d sleeping containers created %d at a time, then %d s idle%n%n", c.scaleCount,
                   Phases.CREATORS, c.scaleIdleS));
        t.append(Results.row("", "conmon", "jshim (launchers + jshimd)"));
        t.append(Results.row("---", "---:", "---:"));
        String[][] rows = {
            {"failures (all runs)", null, "failures"},
            {"time to create all (s)", "total_s", "1:2"},
            {"create latency p50 (ms)", "create_p50_us", "1000:1"},
            {"create latency p99 (ms)", "create_p99_us", "1000:1"},
            {"create latency max (ms)", "create_max_us", "1000:1"},
            {"monitor PSS per container (KiB): conmon, jshim launcher", "per_container_kb", "1:0"},
            {"jshimd PSS (MiB)", "daemon_pss_kb", "1024:1"},
            {"jshimd RSS (MiB)", "daemon_rss_kb", "1024:1"},
            {"jshimd peak RSS, VmHWM (MiB)", "daemon_hwm_kb", "1024:1"},
            {"total PSS, monitors + daemon (MiB)", "total_kb", "1024:1"},
            {"idle: CPU of all monitors over the window (ms)", "idle_monitors_ms", "1:1"},
            {"idle: CPU per monitor over the window (µs)", "idle_monitor_us_each", "1:1"},
            {"idle: jshimd CPU over the window (ms)", "idle_daemon_ms", "1:0"},
            {"jshimd threads, fds (idle)", "daemon_threads", "daemon_fds"},
            {"teardown (s)", "teardown_s", "1:1"},
            {"left behind: runc containers, cgroups, mounts", "left_runc", "left"},
        };
        for (String[] row : rows) {
            String[] cells = new String[3];
            cells[0] = row[0];
            for (int k = 0; k < 2; k++) {
                String v = k == 0 ? "conmon" : "jshim";
                if (row[2].equals("failures")) cells[k + 1] = r.stat("scale", v, sp, "failures") == null ? "–"
                    : f("%.0f", r.sum("scale", v, sp, "failures"));
                else if (row[2].equals("daemon_fds")) cells[k + 1] = r.stat("scale", v, sp, "daemon_threads") == null ? "–"
                    : r.cell("scale", v, sp, "daemon_threads", 1, 0) + ", " + r.cell("scale", v, sp, "daemon_fds", 1, 0);
                else if (row[2].equals("left")) cells[k + 1] = r.stat("scale", v, sp, "left_runc") == null ? "–"
                    : f("%.0f, %.0f, %.0f", r.sum("scale", v, sp, "left_runc"), r.sum("scale", v, sp, "left_cgroups"),
                        r.sum("scale", v, sp, "left_mounts"));
                else {
                    String[] sd = row[2].split(":");
                    cells[k + 1] = r.cell("scale", v, sp, row[1], Double.parseDouble(sd[0]), Integer.parseInt(sd[1]));
                }
            }
            t.append(Results.row(cells));
        }
        double w = r.median("scale", "jshim", sp, "idle_window_s");
        t.append(f("%nIdle window: %.1f s (median). Limits: %s%s.%n", w, c.scaleLimits,
                   c.daemonLimits.isEmpty() ? "" : "; " + c.daemonLimits));
    }
}
