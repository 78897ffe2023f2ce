import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark 3: log throughput. The container `cat`s a payload file (bind-mounted read-only at
 * /run) to its stdout; the time runs from `runc start` to the exit file. The pipe-to-file limit
 * runs the same generator on the host: `busybox cat payload | busybox cat > file`; the limit for
 * a shim that fsyncs its log before the exit file (conmon does, unless --no-sync-log) adds an
 * fsync of the file (`sync FILE`) to that.
 * A file, not `yes | head`: busybox's `yes | head -c` makes only ~140 MiB/s here, slower than
 * the shims being measured, while `cat` of a cached file into a pipe makes over 1 GiB/s.
 */
final class LogPhase {
    static final String LINE79 = "0123456789".repeat(8).substring(0, 79); // + '\n' = 80 bytes

    private final Bench.Ctx c;
    private final Shim s;
    private final Results r;
    private final Phases ph;

    LogPhase(Bench.Ctx c, Shim s, Results r, Phases ph) {
        this.c = c;
        this.s = s;
        this.r = r;
        this.ph = ph;
    }

    /** Writes payloadDir/lines (80-byte lines) and payloadDir/oneline ('x's, no newline). */
    static void makePayloads(Bench.Ctx c) throws IOException {
        Files.createDirectories(c.payloadDir);
        byte[] block = (LINE79 + "\n").repeat(1 << 14).getBytes(StandardCharsets.US_ASCII);
        byte[] xs = new byte[block.length];
        Arrays.fill(xs, (byte) 'x');
        for (String name : List.of("lines", "oneline")) {
            byte[] b = name.equals("lines") ? block : xs;
            try (OutputStream o = Files.newOutputStream(c.payloadDir.resolve(name))) {
                for (long left = c.payloadBytes; left > 0; left -= b.length) o.write(b, 0, (int) Math.min(left, b.length));
            }
        }
    }

    void run() throws IOException {
        makePayloads(c);
        // runs 1 - logWarmups .. 0 warm up the page cache, runc and jshimd's JIT; their samples
        // are dropped (C2 compiles the pump some 10 s into a fresh daemon's first stream)
        for (int run = 1 - c.logWarmups; run <= c.runs; run++)
            for (String payload : List.of("lines", "oneline"))
                for (String v : List.of("pipe", "pipe-sync", "conmon", "jshim", "jshim-k8s", "jshim-k8s-nosync")) {
                    if (!ph.usable("log", v)) continue;
                    if (v.startsWith("pipe")) pipe(run, payload, v.equals("pipe-sync"));
                    else shim(run, payload, v.equals("conmon") ? Shim.Kind.CONMON
                        : v.equals("jshim") ? Shim.Kind.JSHIM
                        : v.equals("jshim-k8s") ? Shim.Kind.JSHIM_K8S : Shim.Kind.JSHIM_K8S_NOSYNC);
                }
    }

    /**
     * Right before each timed run: writes and deletes a file of twice the payload, so every run
     * finds the same supply of free pages. On this guest free memory is reported back to the
     * host (virtio-balloon free page reporting) within seconds, and the next writer pays for
     * faulting it in again: 400 MiB into the page cache took 0.35 s of system time after a 5 s
     * pause and 0.07 s right after such a file, which made whichever variant ran after the
     * slow conmon run look 2-4x as expensive as the same variant elsewhere in the round.
     */
    private void prime() {
        Path f = c.work.resolve("logs").resolve("prime");
        Host.Out o = Host.run("dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=" + (2 * c.payloadBytes >> 20),
                              "status=none");
        f.toFile().delete();
        if (o.code() != 0) r.note("log: priming the page cache failed: " + o.text());
    }

    private void add(String v, String payload, int run, String metric, double value) {
        if (run > 0) r.add("log", v, payload, run, metric, value);
    }

    private void record(String v, String payload, int run, double seconds) {
        double mib = c.payloadBytes / 1048576.0;
        add(v, payload, run, "mib_s", mib / seconds);
        System.err.printf("bench: log run %d (<= 0: warm-up) %s %s: %.1f MiB/s%n", run, payload, v, mib / seconds);
    }

    private void pipe(int run, String payload, boolean sync) {
        String v = sync ? "pipe-sync" : "pipe";
        Path out = c.work.resolve("logs").resolve("pipe.out");
        String bb = c.rootfs.resolve("bin/busybox") + " ";
        String sh = bb + "cat " + c.payloadDir.resolve(payload) + " | " + bb + "cat > " + out
            + (sync ? " && " + bb + "sync " + out : "");
        prime();
        Host.Out o = Host.run(List.of(c.spawn, "run", "-T", "600", "--", c.rootfs.resolve("bin/busybox").toString(),
                                      "sh", "-c", sh), null, null);
        String[] f = o.text().split(" ", 4);
        long size = out.toFile().length();
        boolean ok = o.code() == 0 && f.length >= 3 && f[2].equals("0") && size == c.payloadBytes;
        ph.outcome("log", v, ok, "pipe-to-file: " + o.text() + ", " + size + " bytes written");
        if (ok) record(v, payload, run, Long.parseLong(f[1]) / 1e6);
        out.toFile().delete();
    }

    private void shim(int run, String payload, Shim.Kind kind) {
        String v = kind.name().toLowerCase().replace('_', '-');
        Shim.Created cr = s.create(kind, List.of("cat", "/run/" + payload));
        if (!cr.ok()) {
            ph.outcome("log", v, false, "create: " + cr.error());
            return;
        }
        int d = kind != Shim.Kind.CONMON ? s.jshimdPid() : -1;
        prime();
        long d0 = d > 0 ? Host.cpuTicks(d) : -1;
        long t0 = System.nanoTime();
        int code = s.start(cr);
        boolean done = false;
        long deadline = t0 + 600_000_000_000L;
        while (code == 0 && System.nanoTime() < deadline) {
            if (Files.exists(cr.exitFile())) {
                done = true;
                break;
            }
            Host.sleep(1);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long d1 = d > 0 ? Host.cpuTicks(d) : -1;
        long size = cr.logFile().toFile().length();
        boolean gone = Host.waitGone(cr.shimPid(), 10_000);
        long launcher = -1;
        for (int i = 0; i < 200 && gone && launcher < 0; i++) {
            launcher = Host.reapedTicks(c.reapLog, cr.shimPid());
            if (launcher < 0) Host.sleep(5);
        }
        String why = code != 0 ? "runc start exited " + code
            : !done ? "no exit file after 600 s"
            : size < c.payloadBytes ? "log has " + size + " bytes, fewer than the payload's " + c.payloadBytes
            : null;
        ph.outcome("log", v, why == null, why);
        if (why == null) {
            record(v, payload, run, secs);
            double gib = c.payloadBytes / 1073741824.0;
            if (launcher >= 0) add(v, payload, run, "launcher_cpu_s_gib", launcher / c.clkTck / gib);
            if (d0 >= 0 && d1 >= 0) add(v, payload, run, "daemon_cpu_s_gib", (d1 - d0) / c.clkTck / gib);
            if (launcher >= 0 && (kind == Shim.Kind.CONMON || (d0 >= 0 && d1 >= 0)))
                add(v, payload, run, "cpu_s_gib", (launcher + Math.max(0, d1 - d0)) / c.clkTck / gib);
            else r.note("log/" + v + ": CPU time not available (monitor pid " + cr.shimPid() + ", daemon pid " + d + ")");
            add(v, payload, run, "log_bytes", size);
        }
        String p = s.remove(cr);
        if (p != null) r.note("cleanup of " + v + " " + cr.id() + ": " + p);
    }

}
