package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Helpers of the daemon restart tests: finding and killing the jshimd JVMs of a fixture, a
 * JSHIMD wrapper whose starts can be held or refused, deterministic payloads bind-mounted into
 * a container, and a streaming byte-for-byte check of a (large) shimmy log against them.
 */
final class RestartSupport {
    private RestartSupport() {}

    /** Every jshimd JVM started for this fixture's socket, live or still starting. */
    static List<Integer> daemonJvms(E2eFixture fx) {
        String sock = "--socket " + fx.socket + " ";
        List<Integer> out = new ArrayList<>();
        for (int pid : Procs.allPids()) {
            String cmd = Procs.cmdline(pid);
            if (cmd.contains("jshimd.jar") && (cmd + " ").contains(sock) && Procs.alive(pid)) {
                out.add(pid);
            }
        }
        return out;
    }

    /** The single daemon holding the lock (waits up to timeoutMs for exactly one). */
    static int awaitDaemon(E2eFixture fx, List<Integer> notThese, long timeoutMs) {
        int[] found = {-1};
        boolean ok = Wait.until(timeoutMs, () -> {
            List<Integer> d = fx.daemons();
            if (d.size() == 1 && !notThese.contains(d.get(0))) {
                found[0] = d.get(0);
                return true;
            }
            return false;
        });
        assertTrue(ok, () -> "no (new) daemon holds " + fx.socket + ".lock within " + timeoutMs
                + " ms; holders " + fx.daemons() + ", old " + notThese);
        return found[0];
    }

    /**
     * Waits until the daemon's log says it serves container {@code id}: a cold create reports
     * its pid while the daemon it started is still starting, and the launcher connects once
     * the daemon listens, so neither the lock nor the socket says the hand-over is done.
     */
    static void awaitServing(E2eFixture fx, String id, long timeoutMs) {
        java.nio.file.Path log = fx.tmp.resolve("jshimd.log");
        boolean ok = Wait.until(timeoutMs, () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains(id + ": serving");
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(ok, () -> "jshimd does not serve " + id + " within " + timeoutMs + " ms");
    }

    /** SIGKILLs every jshimd JVM of the fixture and waits until they are gone. */
    static List<Integer> killDaemons(E2eFixture fx) {
        List<Integer> pids = daemonJvms(fx);
        for (int pid : pids) {
            Native.kill(pid, Native.SIGKILL);
        }
        for (int pid : pids) {
            assertTrue(Procs.waitGone(pid, 5_000), "jshimd " + pid + " still alive 5 s after SIGKILL");
        }
        return pids;
    }

    /**
     * A JSHIMD wrapper in the fixture directory: refuses to start (exit 1) while the file
     * "no-daemon" exists, waits while "hold-daemon" exists, else execs the real jshimd.
     */
    static Path wrapper(E2eFixture fx) throws IOException {
        Path w = fx.tmp.resolve("jshimd-wrapper");
        if (!Files.exists(w)) {
            String script = "#!/bin/sh\n"
                    + "d='" + fx.tmp + "'\n"
                    + "[ -e \"$d/no-daemon\" ] && { echo 'wrapper: refused' >&2; exit 1; }\n"
                    + "while [ -e \"$d/hold-daemon\" ]; do sleep 0.05; done\n"
                    + "exec '" + TestPaths.jshimd() + "' \"$@\"\n";
            Files.writeString(w, script);
            Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwx------"));
        }
        return w;
    }

    /** Runs the shim as {@link Shim#run} does, with extra environment for the launcher. */
    static Shim.Result run(Shim shim, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(shim.managerArgv());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("JSHIMD", TestPaths.jshimd().toString());
        pb.environment().putAll(env);
        return shim.collect(Procs.start(pb));
    }

    /** The launcher log shared by every launcher of the fixture. */
    static String launcherLog(E2eFixture fx) throws IOException {
        Path p = fx.tmp.resolve("launcher.log");
        return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
    }

    /** Lines of the launcher log written by one launcher pid. */
    static List<String> launcherLines(E2eFixture fx, int pid) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : launcherLog(fx).split("\n")) {
            if (l.contains(" jshim[" + pid + "] ")) {
                out.add(l);
            }
        }
        return out;
    }

    /** utime + stime of a process in clock ticks (1/100 s), from /proc/PID/stat. */
    static long cpuTicks(int pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
    }

    /**
     * A deterministic payload: {@code lines} lines of 80 bytes (79 + '\n'), line k being the tag
     * letter, k in 9 digits and 69 letters that depend on k.
     */
    static final class Payload {
        final char tag;
        final long lines;

        Payload(char tag, long lines) {
            this.tag = tag;
            this.lines = lines;
        }

        static final int TEXT = 79;

        /** Byte {@code off} of the payload with its newlines removed. */
        byte textByte(long off) {
            long k = off / TEXT;
            int pos = (int) (off % TEXT);
            if (pos == 0) {
                return (byte) tag;
            }
            if (pos <= 9) {
                long v = k;
                for (int i = 9; i > pos; i--) {
                    v /= 10;
                }
                return (byte) ('0' + v % 10);
            }
            return (byte) ('a' + (k + pos) % 26);
        }

        long textLength() {
            return lines * TEXT;
        }

        void write(Path file) throws IOException {
            byte[] line = new byte[TEXT + 1];
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                for (long k = 0; k < lines; k++) {
                    for (int p = 0; p < TEXT; p++) {
                        line[p] = textByte(k * TEXT + p);
                    }
                    line[TEXT] = '\n';
                    out.write(line);
                }
            }
        }
    }

    /** Adds a read-only bind mount of hostDir at /payload to the bundle's config.json. */
    static void bindPayloadDir(Container c, Path hostDir) throws IOException {
        String cfg = Files.readString(c.bundle.config());
        String marker = "\"mounts\": [";
        assertTrue(cfg.contains(marker), "config.json has a mounts array");
        String mount = "{\"destination\": \"/payload\", \"type\": \"bind\", \"source\": "
                + Json.quote(hostDir.toString()) + ", \"options\": [\"rbind\", \"ro\"]},";
        Files.writeString(c.bundle.config(), cfg.replaceFirst(java.util.regex.Pattern.quote(marker),
                java.util.regex.Matcher.quoteReplacement(marker + mount)));
    }

    /**
     * Reads the log as a stream and checks that the stdout and stderr record texts, each
     * concatenated, are exactly the payloads without newlines. Returns the record count.
     */
    static long verifyLog(Path log, Payload out, Payload err) throws IOException {
        long[] done = new long[2];
        long records = 0;
        Payload[] want = {out, err};
        try (InputStream in = new BufferedInputStream(Files.newInputStream(log), 1 << 20)) {
            StringBuilder head = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                head.setLength(0);
                int spaces = 0;
                while (true) {
                    if (b < 0 || b == '\n') {
                        throw new AssertionError("malformed record " + records + ": " + Json.quote(head.toString()));
                    }
                    if (b == ' ' && ++spaces == 2) {
                        break;
                    }
                    head.append((char) b);
                    b = in.read();
                }
                String h = head.toString();
                int s = h.endsWith(" stdout") ? 0 : h.endsWith(" stderr") ? 1 : -1;
                if (s < 0 || !h.substring(0, h.length() - 7).matches(LogRecord.TIMESTAMP)) {
                    throw new AssertionError("bad record head " + Json.quote(h) + " at record " + records);
                }
                int len = 0;
                while ((b = in.read()) != '\n') {
                    if (b < 0) {
                        throw new AssertionError("log ends inside record " + records);
                    }
                    long off = done[s]++;
                    if (off >= want[s].textLength() || want[s].textByte(off) != (byte) b) {
                        throw new AssertionError((s == 0 ? "stdout" : "stderr") + " byte " + off
                                + " (record " + records + ") is " + (char) b + ", expected "
                                + (off >= want[s].textLength() ? "end of stream" : (char) want[s].textByte(off)));
                    }
                    len++;
                }
                assertTrue(len > 0 && len <= 32767, "record " + records + " has " + len + " bytes");
                records++;
            }
        }
        assertEquals(out.textLength(), done[0], "stdout bytes in the log");
        assertEquals(err.textLength(), done[1], "stderr bytes in the log");
        return records;
    }
}
