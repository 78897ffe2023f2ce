import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Creating and removing one container with bare runc, conmon or jshim, the way their users do. */
final class Shim {
    /**
     * JSHIM: conman's argv, shimmy's log format; JSHIM_K8S: podman's (conmon's) argv, k8s-file;
     * JSHIM_K8S_NOSYNC: the same with --no-sync-log (no fsync of the log before the exit file).
     */
    enum Kind { RUNC, CONMON, JSHIM, JSHIM_K8S, JSHIM_K8S_NOSYNC }

    /** One created (or failed) container. shimPid is the long-lived monitor; -1 for bare runc. */
    record Created(Kind kind, String id, boolean ok, long reportUs, long exitUs, int shimPid,
                   int containerPid, String error, Path bundle, Path exitFile, Path logFile) {}

    private static final AtomicLong SEQ = new AtomicLong();
    private static final Pattern CONMON_PID = Pattern.compile("\\{\"data\": (-?\\d+)");
    private static final Pattern SHIMMY_PID =
        Pattern.compile("\"kind\"\\s*:\\s*\"container_pid\".*\"pid\"\\s*:\\s*(\\d+)");

    private final Bench.Ctx c;
    private final String template;

    Shim(Bench.Ctx c) throws IOException {
        this.c = c;
        String t = Files.readString(c.template);
        if (!t.contains("\"path\": \"rootfs\"") || !t.matches("(?s).*\"args\": \\[\\s*\"sh\"\\s*\\].*"))
            throw new IOException(c.template + ": not the `runc spec` layout this benchmark edits");
        if (!t.contains("\"mounts\": [")) throw new IOException(c.template + ": no \"mounts\" array");
        // the log benchmark's payload directory, read-only at /run (which the rootfs has, empty,
        // so runc creates nothing in the shared rootfs)
        String payload = "{\"destination\": \"/run\", \"type\": \"bind\", \"source\": \"" + c.payloadDir
            + "\", \"options\": [\"rbind\", \"ro\"]},";
        this.template = t.replace("\"path\": \"rootfs\"", "\"path\": \"" + c.rootfs + "\"")
            .replace("\"mounts\": [", "\"mounts\": [" + payload);
    }

    static String newId() {
        // 32 lowercase hex characters, as conman uses; unique within the run
        return String.format("%016x%016x", ProcessHandle.current().pid() << 20 | SEQ.incrementAndGet(),
                             System.nanoTime());
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private Path bundle(String id, List<String> args) throws IOException {
        Path b = c.work.resolve("b").resolve(id);
        Files.createDirectories(b);
        List<String> quoted = new ArrayList<>();
        for (String a : args) quoted.add(json(a));
        String cfg = template.replaceFirst("\"args\": \\[\\s*\"sh\"\\s*\\]",
                                           Matcher.quoteReplacement("\"args\": [" + String.join(", ", quoted) + "]"));
        Files.writeString(b.resolve("config.json"), cfg);
        return b;
    }

    Path exitFile(String id) { return c.work.resolve("exits").resolve(id); }
    Path logFile(String id) { return c.work.resolve("logs").resolve(id + ".log"); }

    /** Creates a container running args; never throws for a failed create (ok = false). */
    Created create(Kind kind, List<String> args) {
        String id = newId();
        Path b;
        try {
            b = bundle(id, args);
        } catch (IOException e) {
            return new Created(kind, id, false, -1, -1, -1, -1, "bundle: " + e.getMessage(), null, null, null);
        }
        Path out = b.resolve("shim.out");
        List<String> cmd = new ArrayList<>(List.of(c.spawn, "run", "-T", "60", "-o", out.toString()));
        Map<String, String> env = new HashMap<>();
        switch (kind) {
            case RUNC -> cmd.addAll(List.of("--", c.runc, "--root", c.runcRoot.toString(), "create",
                                            "--bundle", b.toString(), "--pid-file", b.resolve("pidfile").toString(), id));
            case CONMON, JSHIM_K8S, JSHIM_K8S_NOSYNC -> {
                // podman 4.3.1's create argv minus the exit command (conmon-protocol.md 1.2, 1.5)
                env.put("_OCI_SYNCPIPE", "3");
                env.put("_OCI_STARTPIPE", "4");
                if (kind != Kind.CONMON) {
                    env.put("JSHIMD", c.jshimd);
                    env.put("JSHIM_SOCKET", c.jshimdSocket.toString());
                }
                cmd.addAll(List.of("-q", "3", "-t", "4", "--", kind == Kind.CONMON ? c.conmon : c.jshim, "--api-version", "1", "-c", id, "-u", id,
                    "-r", c.runc, "-b", b.toString(), "-p", b.resolve("pidfile").toString(), "-n", "bench-" + id,
                    "--exit-dir", exitFile(id).getParent().toString(), "--full-attach",
                    "-l", "k8s-file:" + logFile(id), "--log-level", "warning",
                    "--runtime-arg", "--root=" + c.runcRoot,
                    "--runtime-arg", "--log-format=json", "--runtime-arg", "--log",
                    "--runtime-arg=" + b.resolve("oci-log"),
                    "--conmon-pidfile", b.resolve("conmon.pid").toString()));
                if (kind == Kind.JSHIM_K8S_NOSYNC) cmd.add("--no-sync-log");
            }
            case JSHIM -> {
                // conman's argv (shimmy-contract 2.2) plus the private daemon socket
                env.put("JSHIMD", c.jshimd);
                cmd.addAll(List.of("-p", "3", "--", c.jshim, "--shimmy-pidfile", b.resolve("shimmy.pid").toString(),
                    "--shimmy-log-level", "TRACE", "--runtime", c.runc, "--runtime-arg='--root=" + c.runcRoot + "'",
                    "--bundle", b.toString(), "--container-id", id,
                    "--container-pidfile", b.resolve("container.pid").toString(),
                    "--container-logfile", logFile(id).toString(), "--container-exitfile", exitFile(id).toString(),
                    "--container-attachfile", c.work.resolve("a").resolve(id).toString(), "--stdin-once",
                    "--jshimd-socket", c.jshimdSocket.toString(), "--syncpipe-fd", "3"));
            }
        }
        Host.Out r = Host.run(cmd, env, b);
        String[] f = r.text().split(" ", 4);
        if (r.code() != 0 || f.length < 3 || f[0].equals("-1"))
            return failed(kind, id, b, "spawn_timed: " + r.text(), out);
        long reportUs = Long.parseLong(f[0]), exitUs = Long.parseLong(f[1]);
        int code = Integer.parseInt(f[2]);
        String report = f.length > 3 ? f[3].strip() : "";
        int shimPid = -1, ctrPid = -1;
        switch (kind) {
            case RUNC -> ctrPid = code == 0 ? Host.readPid(b.resolve("pidfile")) : -1;
            case CONMON, JSHIM_K8S, JSHIM_K8S_NOSYNC -> {
                Matcher m = CONMON_PID.matcher(report);
                ctrPid = m.find() ? Integer.parseInt(m.group(1)) : -1;
                shimPid = Host.readPid(b.resolve("conmon.pid"));
            }
            case JSHIM -> {
                Matcher m = SHIMMY_PID.matcher(report);
                ctrPid = m.find() ? Integer.parseInt(m.group(1)) : -1;
                shimPid = Host.readPid(b.resolve("shimmy.pid"));
            }
        }
        if (code != 0 || ctrPid <= 0 || (kind != Kind.RUNC && shimPid <= 0))
            return failed(kind, id, b, "exit " + code + ", report [" + report + "]", out);
        return new Created(kind, id, true, reportUs, exitUs, shimPid, ctrPid, null, b, exitFile(id), logFile(id));
    }

    private Created failed(Kind kind, String id, Path b, String why, Path out) {
        String tail = Host.read(out);
        if (tail != null && !tail.isBlank()) {
            tail = tail.strip().replace('\n', ' ');
            why += "; output: " + (tail.length() > 300 ? tail.substring(tail.length() - 300) : tail);
        }
        int shimPid = Host.readPid(b.resolve(kind == Kind.JSHIM ? "shimmy.pid" : "conmon.pid"));
        Created cr = new Created(kind, id, false, -1, -1, shimPid, -1, why, b, exitFile(id), logFile(id));
        remove(cr);
        return cr;
    }

    /** runc start; returns its exit code. */
    int start(Created cr) {
        return Host.run(c.runc, "--root", c.runcRoot.toString(), "start", cr.id()).code();
    }

    /**
     * Deletes a container whose init is dead and whose shim has exited without runc (whose
     * root is private to this run): its cgroup dirs (empty now) and its state dir, then its
     * files; what runc delete would do, without starting runc once per container.
     * Returns a problem description or null.
     */
    String forget(Created cr, List<Path> cgroupParents) {
        String problem = null;
        for (Path parent : cgroupParents) {
            Path d = parent.resolve(cr.id());
            try {
                Files.deleteIfExists(d); // rmdir
            } catch (IOException e) {
                problem = "rmdir " + d + ": " + e.getMessage();
            }
        }
        Host.deleteTree(c.runcRoot.resolve(cr.id()));
        String files = removeFiles(cr);
        return problem != null ? problem : files;
    }

    /**
     * Kills and deletes the container, waits for its shim to exit (SIGKILL after 10 s) and
     * removes its files. Returns a problem description or null.
     */
    String remove(Created cr) {
        String problem = null;
        Host.Out d = Host.run(c.runc, "--root", c.runcRoot.toString(), "delete", "-f", cr.id());
        if (d.code() != 0 && !d.text().contains("does not exist") && !d.text().contains("not exist"))
            problem = "runc delete: " + d.text();
        if (cr.shimPid() > 0 && !Host.waitGone(cr.shimPid(), 10_000)) {
            killShim(cr);
            Host.waitGone(cr.shimPid(), 2_000);
            problem = cr.kind() + " pid " + cr.shimPid() + " did not exit within 10 s of the container; killed";
        }
        String files = removeFiles(cr);
        return problem != null ? problem : files;
    }

    /**
     * SIGKILL to the shim, sent directly (no kill(1) process) and only while the pid is still a
     * process named like the shim (jshim or conmon), not whatever reused the pid.
     */
    private static void killShim(Created cr) {
        String comm = Host.oneLine(Path.of("/proc/" + cr.shimPid() + "/comm"));
        String want = cr.kind() == Kind.CONMON ? "conmon" : "jshim";
        if (cr.shimPid() > 1 && cr.shimPid() != ProcessHandle.current().pid() && comm.equals(want))
            ProcessHandle.of(cr.shimPid()).ifPresent(ProcessHandle::destroyForcibly);
    }

    private String removeFiles(Created cr) {
        Host.deleteTree(cr.bundle());
        try {
            if (cr.exitFile() != null) Files.deleteIfExists(cr.exitFile());
            if (cr.logFile() != null) Files.deleteIfExists(cr.logFile());
            Files.deleteIfExists(c.work.resolve("a").resolve(cr.id()));
        } catch (IOException e) {
            return "cleanup: " + e.getMessage();
        }
        return null;
    }

    // ---- the daemon ----

    /** jshimd's pid (the java process serving our private socket), or -1. */
    int jshimdPid() {
        List<Integer> p = Host.find("java", c.jshimdSocket.toString());
        return p.isEmpty() ? -1 : p.get(0);
    }

    /** Stops every jshimd on our private socket (SIGTERM, SIGKILL after 5 s). */
    void stopJshimd() {
        for (int pid : Host.find("java", c.jshimdSocket.toString())) {
            Host.kill(pid, "TERM");
            if (!Host.waitGone(pid, 5_000)) {
                Host.kill(pid, "KILL");
                Host.waitGone(pid, 5_000);
            }
        }
    }

    /** Last-resort cleanup: every container under our runc root, and the daemon. */
    void removeEverything() {
        Host.Out l = Host.run(c.runc, "--root", c.runcRoot.toString(), "list", "-q");
        if (l.code() == 0)
            for (String id : l.text().split("\\s+"))
                if (!id.isBlank()) Host.run(c.runc, "--root", c.runcRoot.toString(), "delete", "-f", id);
        stopJshimd();
    }
}
