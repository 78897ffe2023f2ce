package io.jshim.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One container as CRI-O lays it out (crio-conmon.md, "Paths used throughout"): the bundle
 * (CRI-O's run dir), the persist dir, the pod log {@code pods/<ns>_<pod>_<uid>/<ctr>/0.log}
 * (kubelet creates the dir), and {@code <socket-dir>/<id>}. Flags are set before {@link #create}.
 */
final class CrioContainer {
    final CrioWorld w;
    final String id;
    final String name;
    final Path dir;
    final Path bundle;
    final Path persist;
    final Path log;
    final List<String> args;
    boolean tty;
    boolean stdin;
    boolean leaveStdinOpen;
    Long logSizeMax;
    /** linux.resources.memory limit and swap in bytes, or 0 for none. */
    long memoryLimit;
    /** -r: the runtime; the real runc unless a test fakes it. */
    Path runtime = TestPaths.runtime();
    /** cgroup dirs CRI-O moves the spawned monitor into before the start byte (crio-replay --cgroup). */
    final List<Path> monitorCgroups = new ArrayList<>();
    /** crio-replay --start-delay-ms: how long CRI-O takes to move the monitor into its cgroup. */
    long startDelayMs;
    /** The create's result, and the init's pid from it. */
    CrioReplay.Result created;
    int pid;

    CrioContainer(CrioWorld w, String id, Path dir, List<String> args) throws IOException {
        this.w = w;
        this.id = id;
        this.dir = dir;
        this.args = args;
        String uid = id.substring(0, 8) + "-0000-4000-8000-" + id.substring(8, 20);
        name = "k8s_app_web_default_" + uid + "_0";
        bundle = dir.resolve("userdata");
        persist = dir.resolve("persist");
        log = dir.resolve("pods/default_web_" + uid + "/app/0.log");
        Files.createDirectories(persist);
        Files.createDirectories(log.getParent());
        String sock = w.socketDir + "/" + id + "/attach";
        if (sock.length() >= 108) {
            throw new AssertionError("attach path too long for sun_path: " + sock);
        }
    }

    Path ctl() {
        return bundle.resolve("ctl");
    }

    Path attachLink() {
        return w.socketDir.resolve(id);
    }

    /** What CRI-O dials: {@code <socket-dir>/<id>/attach}. */
    Path attachPath() {
        return attachLink().resolve("attach");
    }

    Path exitFile() {
        return w.exits.resolve(id);
    }

    Path persistExit() {
        return persist.resolve("exit");
    }

    /** Writes config.json: the template with args, rootfs, terminal, cgroupsPath and the memory limit. */
    void writeConfig() throws IOException {
        String template = Files.readString(TestPaths.rootfsDir().resolve("config.template.json"), StandardCharsets.UTF_8);
        String c = Bundle.render(template, TestPaths.rootfsDir().resolve("rootfs").toString(), args);
        if (tty) {
            c = c.replace("\"terminal\": false", "\"terminal\": true");
        }
        // CRI-O's cgroupfs manager: an absolute cgroupsPath, never nested in the monitor's cgroup
        if (!c.contains("\"linux\": {")) {
            throw new AssertionError("config template has no linux section");
        }
        c = c.replace("\"linux\": {", "\"linux\": {\"cgroupsPath\": \"/crio-" + id + "\",");
        if (memoryLimit > 0) {
            String mem = "\"resources\": {\"memory\": {\"limit\": " + memoryLimit + ", \"swap\": " + memoryLimit + "},";
            if (!c.contains("\"resources\": {")) {
                throw new AssertionError("config template has no linux.resources");
            }
            c = c.replace("\"resources\": {", mem);
        }
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("config.json"), c, StandardCharsets.UTF_8);
    }

    /** The create argv of crio-conmon.md 1.2 in emission order (cgroupfs manager: no -s). */
    List<String> createArgv() {
        List<String> a = new ArrayList<>(List.of(w.conmon.toString(),
                "-b", bundle.toString(),
                "-c", id,
                "--exit-dir", w.exits.toString(),
                "-l", log.toString(),
                "--log-level", "info",
                "-n", name,
                "-P", bundle.resolve("conmon-pidfile").toString(),
                "-p", bundle.resolve("pidfile").toString(),
                "--persist-dir", persist.toString(),
                "-r", runtime.toString(),
                "--runtime-arg", "--root=" + w.runcRoot,
                "--socket-dir-path", w.socketDir.toString(),
                "--syslog",
                "-u", id));
        if (logSizeMax != null) {
            a.add("--log-size-max");
            a.add(String.valueOf(logSizeMax));
        }
        if (tty) {
            a.add("-t");
        } else if (stdin && leaveStdinOpen) {
            a.add("--leave-stdin-open");
            a.add("-i");
        } else if (stdin) {
            a.add("-i");
        }
        return a;
    }

    /** CRI-O's CreateContainer: config, spawn, start byte, wait, one JSON value. */
    CrioReplay.Result create() throws IOException {
        writeConfig();
        List<String> opts = new ArrayList<>(List.of("--cwd", bundle.toString()));
        if (tty) {
            opts.add("--tty");
        }
        for (Path cg : monitorCgroups) {
            opts.add("--cgroup");
            opts.add(cg.toString());
        }
        if (startDelayMs > 0) {
            opts.add("--start-delay-ms");
            opts.add(String.valueOf(startDelayMs));
        }
        created = CrioReplay.run("create", dir.resolve("create"), opts, w.extraEnv(), createArgv(), 60_000);
        return created;
    }

    /** The -P pidfile's pid (bare digits), or -1. */
    int monitorPid() {
        String s = CrioWorld.read(bundle.resolve("conmon-pidfile"));
        return s != null && s.matches("[1-9][0-9]*") ? Integer.parseInt(s) : -1;
    }

    void start() throws IOException {
        w.runc.start(id);
    }

    String logText() {
        String s = CrioWorld.read(log);
        return s == null ? "" : s;
    }

    /** Waits for {@code <exit-dir>/<id>} and returns {@code <persist>/exit}'s content. */
    String awaitExit(long timeoutMs) {
        if (!Wait.until(timeoutMs, () -> Files.exists(exitFile()))) {
            throw new AssertionError("no " + exitFile() + " within " + timeoutMs + " ms; persist/exit "
                    + CrioWorld.read(persistExit()) + "; runc state " + state() + "; log " + Json.quote(logText()));
        }
        String p = CrioWorld.read(persistExit());
        if (p == null) {
            throw new AssertionError(exitFile() + " exists but " + persistExit() + " does not (CRI-O reads the latter)");
        }
        return p;
    }

    /**
     * CRI-O's ExecSync (2.1-2.3): the container's process object with args replaced in a temp
     * exec-process file, empty temp pidfile and log, the argv in emission order, a pipe for fd 3.
     */
    CrioReplay.Result execSync(long timeoutSeconds, List<String> helperOpts, String... execArgs) throws IOException {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path pidfile = Files.createTempFile(tmp, "pidfile", "");
        Path execLog = Files.createTempFile(tmp, "crio-log-" + id, "");
        Path spec = Files.createTempFile(tmp, "exec-process-", "");
        String config = Files.readString(bundle.resolve("config.json"), StandardCharsets.UTF_8);
        String process = objectAfter(config, "\"process\":");
        String quoted = String.join(", ", List.of(execArgs).stream().map(Json::quote).toArray(String[]::new));
        process = process.replaceFirst("\"args\":\\s*\\[[^\\]]*\\]", java.util.regex.Matcher.quoteReplacement(
                "\"args\": [" + quoted + "]"));
        Files.writeString(spec, process, StandardCharsets.UTF_8);
        lastExecLog = execLog;
        List<String> a = new ArrayList<>(List.of(w.conmon.toString(), "-c", id, "-n", name, "-r", runtime.toString(),
                "-p", pidfile.toString(), "-e", "-l", execLog.toString(), "--socket-dir-path", w.socketDir.toString(),
                "--log-level", "info"));
        if (w.sync) {
            a.add("--sync");
        }
        if (w.globalSizeMax) {
            a.add("--log-global-size-max");
            a.add("16777216");
        }
        if (tty) {
            a.add("-t");
        }
        if (timeoutSeconds > 0) {
            a.add("-T");
            a.add(String.valueOf(timeoutSeconds));
        }
        a.add("--exec-process-spec");
        a.add(spec.toString());
        a.add("--runtime-arg");
        a.add("--root=" + w.runcRoot);
        List<String> opts = new ArrayList<>();
        for (String o : helperOpts) {
            opts.add(o.equals("LOG") ? execLog.toString() : o); // the temp log's name is only known here
        }
        CrioReplay.Result r = CrioReplay.run("exec", tmp.resolve("exec" + nextExec()), opts, w.extraEnv(), a, 120_000);
        r.execLog = execLog.toString();
        return r;
    }

    volatile Path lastExecLog;
    private int execs;

    private synchronized int nextExec() {
        return execs++;
    }

    /** The balanced {...} that follows key in text (strings with escapes respected). */
    static String objectAfter(String text, String key) {
        int i = text.indexOf(key);
        if (i < 0) {
            throw new AssertionError("no " + key + " in config.json");
        }
        int start = text.indexOf('{', i);
        int depth = 0;
        boolean str = false;
        for (int j = start; j < text.length(); j++) {
            char ch = text.charAt(j);
            if (str) {
                if (ch == '\\') {
                    j++;
                } else if (ch == '"') {
                    str = false;
                }
            } else if (ch == '"') {
                str = true;
            } else if (ch == '{') {
                depth++;
            } else if (ch == '}' && --depth == 0) {
                return text.substring(start, j + 1);
            }
        }
        throw new AssertionError("unbalanced " + key + " in config.json");
    }

    String state() {
        try {
            return w.runc.state(id);
        } catch (IOException e) {
            return "? " + e;
        }
    }
}
