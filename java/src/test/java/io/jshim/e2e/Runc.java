package io.jshim.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** `runc --root R ...` as conman runs it. */
final class Runc {
    static final class Result {
        final int exit;
        final String stdout;
        final String stderr;

        Result(int exit, String stdout, String stderr) {
            this.exit = exit;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        Result check(String what) {
            if (exit != 0) {
                throw new AssertionError("runc " + what + " exited " + exit + ": " + stderr.trim());
            }
            return this;
        }
    }

    private final Path root;

    Runc(Path root) {
        this.root = root;
    }

    Result run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(TestPaths.runtime().toString());
        cmd.add("--root");
        cmd.add(root.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = Procs.start(pb);
        CompletableFuture<String> out = Shim.readAll(p.getInputStream());
        CompletableFuture<String> err = Shim.readAll(p.getErrorStream());
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("runc " + String.join(" ", args) + " hung for 20 s");
            }
            return new Result(p.exitValue(), out.get(20, TimeUnit.SECONDS), err.get(20, TimeUnit.SECONDS));
        } catch (InterruptedException | java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("runc " + String.join(" ", args) + " failed", e);
        }
    }

    void start(String id) throws IOException {
        run("start", id).check("start " + id);
    }

    void kill(String id, String signal) throws IOException {
        run("kill", id, signal).check("kill " + id + " " + signal);
    }

    /** The status from `runc state` (created, running, stopped...), or null if unknown to runc. */
    String state(String id) throws IOException {
        Result r = run("state", id);
        if (r.exit != 0) {
            return null;
        }
        Matcher m = Pattern.compile("\"status\":\\s*\"([a-z]+)\"").matcher(r.stdout);
        if (!m.find()) {
            throw new AssertionError("runc state " + id + " has no status: " + r.stdout);
        }
        return m.group(1);
    }

    void delete(String id) throws IOException {
        run("delete", id).check("delete " + id);
    }

    /** Ids of every container under this root. */
    List<String> list() throws IOException {
        Result r = run("list", "-q");
        List<String> out = new ArrayList<>();
        if (r.exit != 0) {
            return out;
        }
        for (String line : r.stdout.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    /** Teardown: kill -9 and force-delete everything left. */
    void deleteAll() throws IOException {
        for (String id : list()) {
            run("kill", id, "KILL");
            run("delete", "-f", id);
        }
    }
}
