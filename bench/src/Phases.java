import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Benchmarks 1 (create latency) and 2 (memory), and what 3 (log) and 4 (scale) share. Variants run interleaved. */
final class Phases {
    static final List<String> SLEEP = List.of("sleep", "100000");
    static final int CREATORS = 8;

    private final Bench.Ctx c;
    private final Shim s;
    private final Results r;
    /** variant -> consecutive failures with no success yet; a variant that never works is skipped. */
    private final Map<String, int[]> health = new HashMap<>();

    Phases(Bench.Ctx c, Shim s, Results r) {
        this.c = c;
        this.s = s;
        this.r = r;
    }

    /** False once a variant has failed twice in a row without ever succeeding in this phase. */
    boolean usable(String phase, String variant) {
        int[] h = health.get(phase + "|" + variant);
        return h == null || h[1] > 0 || h[0] < 2;
    }

    void outcome(String phase, String variant, boolean ok, String error) {
        int[] h = health.computeIfAbsent(phase + "|" + variant, k -> new int[2]);
        if (ok) {
            h[0] = 0;
            h[1]++;
            return;
        }
        h[0]++;
        r.note(phase + "/" + variant + ": " + error);
        if (!usable(phase, variant)) r.note(phase + "/" + variant + ": failed twice with no success; skipped from now on");
    }

    private void removeNoting(Shim.Created cr) {
        String p = s.remove(cr);
        if (p != null) r.note("cleanup of " + cr.kind() + " " + cr.id() + ": " + p);
    }

    // ---- 1. create latency ----

    void createLatency() {
        String[] variants = {"runc", "conmon", "jshim-cold", "jshim-warm"};
        // one discarded round so that page cache and runc's first-run costs hit nobody
        for (Shim.Kind k : Shim.Kind.values()) removeNoting(s.create(k, SLEEP));
        for (int run = 1; run <= c.createRuns; run++) {
            Map<String, Double> us = new HashMap<>();
            for (String v : variants) {
                if (!usable("create", v)) continue;
                Shim.Kind kind = v.startsWith("jshim") ? Shim.Kind.JSHIM : Shim.Kind.valueOf(v.toUpperCase());
                if (v.equals("jshim-cold")) s.stopJshimd();
                if (v.equals("jshim-warm") && s.jshimdPid() < 0) removeNoting(s.create(kind, SLEEP));
                Shim.Created cr = s.create(kind, SLEEP);
                outcome("create", v, cr.ok(), cr.error());
                r.add("create", v, "", run, "failures", cr.ok() ? 0 : 1);
                if (cr.ok()) {
                    double t = Math.max(cr.reportUs(), cr.exitUs());
                    us.put(v, t);
                    r.add("create", v, "", run, "create_us", t);
                }
                removeNoting(cr);
            }
            Double base = us.get("runc");
            for (String v : variants)
                if (base != null && us.containsKey(v) && !v.equals("runc"))
                    r.add("create", v, "", run, "overhead_us", us.get(v) - base);
            System.err.printf("bench: create run %d/%d: %s%n", run, c.createRuns, us);
        }
    }

    // ---- helpers for many containers ----

    List<Shim.Created> createMany(Shim.Kind kind, int n) {
        ExecutorService ex = Executors.newFixedThreadPool(CREATORS);
        try {
            List<Future<Shim.Created>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) fs.add(ex.submit(() -> s.create(kind, SLEEP)));
            List<Shim.Created> out = new ArrayList<>();
            for (Future<Shim.Created> f : fs) out.add(f.get());
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("creating " + n + " " + kind + " containers", e);
        } finally {
            ex.shutdown();
        }
    }

    /**
     * Removes many containers fast: SIGKILL every container's init at once (its pid namespace
     * goes with it), wait for the shims to reap them and exit, then remove what runc would (the
     * cgroup dirs, empty now, and the state dir under our private root) without starting runc
     * 1000 times; a container whose shim did not exit within 30 s gets `runc delete -f` and the
     * shim a SIGKILL (Shim.remove). `runc delete -f` on a created container also costs a 100 ms
     * poll, and could remove its cgroups before the shim reaped the init (dirs left behind).
     */
    void removeMany(List<Shim.Created> cs) {
        for (Shim.Created cr : cs) {
            if (!cr.ok() || cr.containerPid() <= 0) continue;
            // only while it is still the shim's child (or runc's, bare): a reaped pid may be reused
            ProcessHandle.of(cr.containerPid()).filter(h -> h.parent().map(pp -> cr.shimPid() <= 0
                || pp.pid() == cr.shimPid()).orElse(false)).ifPresent(ProcessHandle::destroyForcibly);
        }
        long end = System.nanoTime() + 30_000_000_000L;
        List<Path> cgroups = Host.cgroupDirs();
        ExecutorService ex = Executors.newFixedThreadPool(CREATORS);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Shim.Created cr : cs) {
                boolean gone = cr.ok() && cr.shimPid() > 0
                    && Host.waitGone(cr.shimPid(), Math.max(0, (end - System.nanoTime()) / 1_000_000));
                // a dead container whose shim has exited needs no runc; anything else gets runc delete -f
                fs.add(ex.submit(gone ? () -> {
                    String p = s.forget(cr, cgroups);
                    if (p != null) r.note("cleanup of " + cr.kind() + " " + cr.id() + ": " + p);
                } : () -> removeNoting(cr)));
            }
            for (Future<?> f : fs) f.get();
        } catch (Exception e) {
            throw new IllegalStateException("removing containers", e);
        } finally {
            ex.shutdown();
        }
    }

    private static long failures(List<Shim.Created> cs) {
        return cs.stream().filter(x -> !x.ok()).count();
    }

    private String firstError(List<Shim.Created> cs) {
        return cs.stream().filter(x -> !x.ok()).map(Shim.Created::error).findFirst().orElse(null);
    }

    // ---- 2. memory ----

    void memory() {
        for (int run = 1; run <= c.runs; run++) {
            for (int n : c.memoryNs) {
                for (Shim.Kind kind : List.of(Shim.Kind.CONMON, Shim.Kind.JSHIM)) {
                    String v = kind.name().toLowerCase();
                    if (!usable("memory", v)) continue;
                    if (kind == Shim.Kind.JSHIM) s.stopJshimd(); // a fresh daemon for every N
                    List<Shim.Created> cs = createMany(kind, n);
                    long bad = failures(cs);
                    outcome("memory", v, bad == 0, bad + " of " + n + " creates failed, e.g. " + firstError(cs));
                    Host.sleep(1000); // let the shims and the daemon settle
                    long[] m = monitorPss(cs);
                    long sum = m[0], ok = m[1];
                    String p = "N=" + n;
                    r.add("memory", v, p, run, "failures", bad);
                    if (ok > 0) r.add("memory", v, p, run, "per_container_kb", (double) sum / ok);
                    long total = sum;
                    if (kind == Shim.Kind.JSHIM) {
                        int d = s.jshimdPid();
                        long dk = d > 0 ? Host.pssKb(d) : -1;
                        if (dk >= 0) r.add("memory", v, p, run, "daemon_kb", dk);
                        else r.note("memory/jshim N=" + n + ": no jshimd process found");
                        total = dk >= 0 ? total + dk : -1;
                    }
                    if (ok == n && total >= 0) r.add("memory", v, p, run, "total_kb", total);
                    System.err.printf("bench: memory run %d %s N=%d: %d ok, total %d KiB%n", run, v, n, ok, total);
                    removeMany(cs);
                }
            }
        }
    }
    /** {sum of the monitors' PSS in KiB, how many were measured} over the created containers. */
    static long[] monitorPss(List<Shim.Created> cs) {
        long sum = 0, ok = 0;
        for (Shim.Created cr : cs) {
            long pss = cr.ok() ? Host.pssKb(cr.shimPid()) : -1;
            if (pss >= 0) {
                sum += pss;
                ok++;
            }
        }
        return new long[] {sum, ok};
    }

}
