package io.jshim.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs tests/helpers/crio_replay.c, which spawns the monitor exactly as CRI-O 1.28 does, and
 * parses what it saw. The helper's own stdout/stderr go to files: the monitor inherits them
 * (CRI-O's fds 0-2 in create mode), so nothing here waits for their EOF.
 */
final class CrioReplay {
    /** What CRI-O observes of one monitor run. */
    static final class Result {
        Map<String, Object> raw;
        int exit;
        long waitMs;
        int spawnedPid;
        /** The first JSON value read from fd 3, exactly as sent ("" if none). */
        String value;
        String valueError;
        String trailing;
        boolean trailingEof;
        String out;
        String err;
        boolean outEof;
        boolean errEof;
        boolean sigintSent;
        /** With --start-delay-ms: the bundle files that existed before the start byte, and liveness then. */
        String beforeStart;
        int aliveBeforeStart;
        String helperOutput;
        /** ExecSync: the -l temp log of this call. */
        String execLog;

        /** The JSON value as a flat object (CRI-O decodes it into a struct). */
        Map<String, Object> json() {
            if (!valueError.isEmpty()) {
                throw new AssertionError("no JSON value on fd 3 (" + valueError + "); " + this);
            }
            try {
                return Json.parseFlatObject(value);
            } catch (IllegalArgumentException e) {
                throw new AssertionError("fd 3 value is not a flat JSON object: " + this, e);
            }
        }

        @Override
        public String toString() {
            return "spawned process exit " + exit + " after " + waitMs + " ms, fd 3 value " + Json.quote(value)
                    + (valueError.isEmpty() ? "" : " (" + valueError + ")") + ", then " + Json.quote(trailing)
                    + (trailingEof ? " EOF" : "") + ", fd 1 " + Json.quote(out) + ", fd 2 " + Json.quote(err)
                    + (helperOutput.isEmpty() ? "" : ", harness/monitor stdio " + Json.quote(helperOutput));
        }
    }

    private CrioReplay() {}

    static Result run(String mode, Path work, List<String> opts, List<String> env, List<String> argv, long timeoutMs)
            throws IOException {
        Files.createDirectories(work);
        Path result = work.resolve("result.json");
        Path out = work.resolve("stdout.txt");
        Path err = work.resolve("stderr.txt");
        Files.deleteIfExists(result);
        List<String> cmd = new ArrayList<>(List.of(CrioWorld.replay().toString(), mode, "--result", result.toString()));
        cmd.addAll(opts);
        for (String e : env) {
            cmd.add("--env");
            cmd.add(e);
        }
        cmd.add("--");
        cmd.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = Procs.start(pb);
        try {
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("CRI-O's " + mode + " call did not return within " + timeoutMs
                        + " ms (the spawned monitor did not exit, or fd 3 got nothing); argv " + argv
                        + "; harness output " + Json.quote(CrioWorld.read(err) + CrioWorld.read(out)));
            }
        } catch (InterruptedException e) {
            throw new AssertionError("interrupted", e);
        }
        String helperOutput = CrioWorld.read(out) + CrioWorld.read(err);
        if (p.exitValue() != 0 || !Files.exists(result)) {
            throw new AssertionError("crio-replay failed (exit " + p.exitValue() + "): " + helperOutput);
        }
        Result r = new Result();
        r.raw = Json.parseFlatObject(Files.readString(result));
        r.exit = num(r.raw, "exit");
        r.waitMs = ((Long) r.raw.get("wait_ms"));
        r.spawnedPid = num(r.raw, "pid");
        r.value = (String) r.raw.get("value");
        r.valueError = (String) r.raw.get("value_error");
        r.trailing = (String) r.raw.get("trailing");
        r.trailingEof = num(r.raw, "trailing_eof") == 1;
        r.out = (String) r.raw.get("out");
        r.err = (String) r.raw.get("err");
        r.outEof = num(r.raw, "out_eof") == 1;
        r.errEof = num(r.raw, "err_eof") == 1;
        r.sigintSent = num(r.raw, "sigint_sent") == 1;
        r.beforeStart = ((String) r.raw.get("before_start")).trim();
        r.aliveBeforeStart = num(r.raw, "alive_before_start");
        r.helperOutput = helperOutput;
        return r;
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Long)) {
            throw new AssertionError("crio-replay result has no number " + key + ": " + m);
        }
        return ((Long) v).intValue();
    }
}
