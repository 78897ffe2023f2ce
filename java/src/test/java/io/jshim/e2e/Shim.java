package io.jshim.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the launcher through syncpipe-run exactly as conman does (argv in conman's order,
 * spec 2.2, plus --jshimd-socket) and collects what conman would see.
 */
final class Shim {
    /** Everything conman can observe from one shim run. */
    static final class Result {
        int mainExit;
        String stdout;
        String stderr;
        /** Raw pidfile content, or null if there is none. */
        String pidfileContent;
        /** Raw report bytes (possibly empty). */
        String reportRaw;

        /** The pidfile's pid; the content must be bare digits with no newline. */
        int shimPid() {
            if (pidfileContent == null || !pidfileContent.matches("[1-9][0-9]*")) {
                throw new AssertionError("pidfile content is not bare digits: "
                        + (pidfileContent == null ? "<no pidfile>" : Json.quote(pidfileContent)));
            }
            return Integer.parseInt(pidfileContent);
        }

        Report report() {
            return Report.parse(reportRaw);
        }

        @Override
        public String toString() {
            return "main exit " + mainExit + ", stdout " + Json.quote(stdout) + ", stderr "
                    + Json.quote(stderr) + ", pidfile " + pidfileContent + ", report " + Json.quote(reportRaw);
        }
    }

    private final E2eFixture fx;
    final Container c;
    String logLevel = "TRACE";
    final List<String> runtimeArgs = new ArrayList<>();
    /** Every valued flag as one --flag=VALUE element instead of two elements. */
    boolean equalsForm;
    /** Quoted runtime args as two elements (older conman) instead of --runtime-arg='...'. */
    boolean separateRuntimeArgs;
    /** Extra argv elements, inserted before --syncpipe-fd. */
    final List<String> extra = new ArrayList<>();
    boolean stdin;
    boolean stdinOnce;
    /** Flags to leave out, e.g. "--bundle" (with their value). */
    final List<String> omit = new ArrayList<>();
    /** Flag values to use instead of the container's own paths, e.g. "--bundle" -> "/not/used". */
    final Map<String, String> override = new LinkedHashMap<>();
    /** shimmy_test.go style: no --syncpipe-fd, environment only _OCI_SYNCPIPE=3. */
    boolean envOnlySyncpipe;
    long timeoutMs = 20_000;

    Shim(E2eFixture fx, Container c) {
        this.fx = fx;
        this.c = c;
        runtimeArgs.add("'--root=" + fx.runcRoot + "'");
    }

    /** The launcher argv, in conman's order. */
    List<String> argv() {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("--shimmy-pidfile", c.bundle.shimPidfile().toString());
        if (logLevel != null) {
            flags.put("--shimmy-log-level", logLevel);
        }
        flags.put("--runtime", TestPaths.runtime().toString());
        List<String> argv = new ArrayList<>();
        argv.add(TestPaths.launcher().toString());
        addFlags(argv, flags);
        if (!omit.contains("--runtime-arg")) {
            for (String ra : runtimeArgs) {
                if (equalsForm || (ra.startsWith("'") && !separateRuntimeArgs)) {
                    argv.add("--runtime-arg=" + ra);
                } else {
                    argv.add("--runtime-arg");
                    argv.add(ra);
                }
            }
        }
        flags.clear();
        flags.put("--bundle", c.bundle.dir.toString());
        flags.put("--container-id", c.id);
        flags.put("--container-pidfile", c.bundle.containerPidfile().toString());
        flags.put("--container-logfile", c.logFile.toString());
        flags.put("--container-exitfile", c.exitFile.toString());
        flags.put("--container-attachfile", c.attachFile.toString());
        addFlags(argv, flags);
        if (stdin) {
            argv.add("--stdin");
        }
        if (stdinOnce) {
            argv.add("--stdin-once");
        }
        argv.addAll(extra);
        if (!envOnlySyncpipe && !omit.contains("--syncpipe-fd")) {
            argv.add("--syncpipe-fd");
            argv.add("3");
        }
        argv.add("--jshimd-socket");
        argv.add(override.getOrDefault("--jshimd-socket", fx.socket.toString()));
        return argv;
    }

    private void addFlags(List<String> argv, Map<String, String> flags) {
        for (Map.Entry<String, String> e : flags.entrySet()) {
            if (omit.contains(e.getKey())) {
                continue;
            }
            String value = override.getOrDefault(e.getKey(), e.getValue());
            if (equalsForm) {
                argv.add(e.getKey() + "=" + value);
            } else {
                argv.add(e.getKey());
                argv.add(value);
            }
        }
    }

    Path reportFile() {
        return c.dir.resolve("report.json");
    }

    /** syncpipe-run's argv around the launcher argv. */
    List<String> managerArgv() {
        List<String> cmd = new ArrayList<>();
        cmd.add(TestPaths.syncpipe().toString());
        cmd.add("--report");
        cmd.add(reportFile().toString());
        if (envOnlySyncpipe) {
            cmd.add("--env-only");
            cmd.add("_OCI_SYNCPIPE=3");
        }
        cmd.add("--");
        cmd.addAll(argv());
        return cmd;
    }

    /** Runs the manager to completion, reading its stdout and stderr to EOF. */
    Result run() throws IOException {
        return collect(start(managerArgv()));
    }

    Process start(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("JSHIMD", TestPaths.jshimd().toString());
        return Procs.start(pb);
    }

    Result collect(Process p) throws IOException {
        CompletableFuture<String> out = readAll(p.getInputStream());
        CompletableFuture<String> err = readAll(p.getErrorStream());
        Result r = new Result();
        try {
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the manager (syncpipe-run) did not finish within " + timeoutMs
                        + " ms: main did not exit or the sync pipe was not closed; argv " + managerArgv());
            }
            r.mainExit = p.exitValue();
            r.stdout = out.get(timeoutMs, TimeUnit.MILLISECONDS);
            r.stderr = err.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("stdout/stderr of the shim did not reach EOF within " + timeoutMs
                    + " ms: the monitor keeps conman's pipes open", e);
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError("collecting the shim's output failed", e);
        }
        Path pidfile = Path.of(override.getOrDefault("--shimmy-pidfile", c.bundle.shimPidfile().toString()));
        r.pidfileContent = Files.exists(pidfile) ? Files.readString(pidfile, StandardCharsets.UTF_8) : null;
        r.reportRaw = Files.exists(reportFile()) ? Files.readString(reportFile(), StandardCharsets.UTF_8) : "";
        return r;
    }

    /** Reads a stream to EOF on its own thread (the common pool may have a single thread). */
    static CompletableFuture<String> readAll(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, task -> {
            Thread t = new Thread(task, "e2e-stream-reader");
            t.setDaemon(true);
            t.start();
        });
    }
}
