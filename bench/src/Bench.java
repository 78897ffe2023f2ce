import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark driver: jshim against conmon 2.1.6 on the same runc. Started by bench/run.sh,
 * which passes every path; see bench/README.md.
 */
public final class Bench {
    /** Everything a phase needs to know. */
    static final class Ctx {
        Path work, results, rootfs, template, reapLog, runcRoot, jshimdSocket, payloadDir;
        String runc, conmon, jshim, jshimd, spawn;
        int runs, createRuns;
        boolean quick;
        long payloadBytes;
        int[] memoryNs;
        int scaleCount, scaleIdleS, logWarmups;
        String scaleLimits = "", daemonLimits = "";
        double clkTck;
        List<String> phases;
    }

    private static Ctx parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                a.put("quick", "1");
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                a.put(args[i].substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("bad argument: " + args[i]);
            }
        }
        Ctx c = new Ctx();
        c.quick = a.containsKey("quick");
        c.work = Path.of(need(a, "work"));
        c.results = Path.of(need(a, "results"));
        c.rootfs = Path.of(need(a, "rootfs"));
        c.template = Path.of(need(a, "template"));
        c.reapLog = Path.of(need(a, "reap-log"));
        c.runc = need(a, "runc");
        c.conmon = need(a, "conmon");
        c.jshim = need(a, "jshim");
        c.jshimd = need(a, "jshimd");
        c.spawn = need(a, "spawn");
        c.runs = Integer.parseInt(a.getOrDefault("runs", c.quick ? "2" : "5"));
        c.createRuns = 4 * c.runs; // one create sample is cheap and this host is noisy
        c.payloadBytes = c.quick ? 32L << 20 : 256L << 20;
        c.memoryNs = java.util.Arrays.stream(a.getOrDefault("memory-ns", c.quick ? "1,10" : "1,10,100,200").split(","))
            .mapToInt(Integer::parseInt).toArray();
        c.scaleCount = Integer.parseInt(a.getOrDefault("scale-count", c.quick ? "24" : "200"));
        c.logWarmups = Integer.parseInt(a.getOrDefault("log-warmups", "2"));
        c.scaleIdleS = Integer.parseInt(a.getOrDefault("scale-idle", c.quick ? "5" : "30"));
        c.clkTck = Double.parseDouble(a.getOrDefault("clk-tck", "100"));
        c.phases = Arrays.asList(a.getOrDefault("phases", "create,memory,log,scale").split(","));
        c.runcRoot = c.work.resolve("runc");
        c.jshimdSocket = c.work.resolve("jshimd.sock");
        c.payloadDir = c.work.resolve("payload");
        return c;
    }

    private static String need(Map<String, String> a, String k) {
        String v = a.get(k);
        if (v == null) throw new IllegalArgumentException("missing --" + k);
        return v;
    }

    public static void main(String[] args) throws Exception {
        Ctx c = parse(args);
        for (String d : List.of("b", "exits", "logs", "a", "runc", "payload")) Files.createDirectories(c.work.resolve(d));
        Results r = new Results(c.results);
        Shim s = new Shim(c);
        Phases ph = new Phases(c, s, r);
        Runtime.getRuntime().addShutdownHook(new Thread(s::removeEverything));
        long t0 = System.nanoTime();
        try {
            if (c.phases.contains("create")) ph.createLatency();
            if (c.phases.contains("memory")) ph.memory();
            if (c.phases.contains("log")) new LogPhase(c, s, r, ph).run();
            if (c.phases.contains("scale")) new ScalePhase(c, s, r, ph).run();
        } finally {
            s.removeEverything();
        }
        String table = Table.render(c, r, machine(c), (System.nanoTime() - t0) / 60e9);
        Files.writeString(c.results.resolve("table.md"), table);
        System.out.print(table);
    }

    private static String machine(Ctx c) {
        List<String> m = new ArrayList<>();
        m.add("kernel " + Host.run("uname", "-srm").text());
        String cpu = Host.run("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").text();
        m.add(Host.run("nproc").text() + " × " + cpu.strip());
        m.add(Host.kbField(Path.of("/proc/meminfo"), "MemTotal") / 1024 + " MiB RAM");
        m.add(Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "cgroup v2" : "cgroup v1");
        m.add(Host.run(c.runc, "--version").text().split("\n")[0]);
        m.add(Host.run(c.conmon, "--version").text().split("\n")[0]);
        m.add("jshimd on " + Host.run("java", "-version").text().split("\n")[0]);
        return String.join("; ", m);
    }
}
