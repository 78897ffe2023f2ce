package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Common set-up of the CRI-O replay classes: one {@link CrioWorld} per class, CRI-O's create
 * checks (crio-conmon.md 1.7, 6 "Create") and the k8s-file parser CRI-O and kubelet use.
 */
abstract class CrioE2eBase {
    static CrioWorld w;

    /** One k8s-file record. */
    static final class Rec {
        final String time;
        final String stream;
        final String tag;
        final String content;

        Rec(String time, String stream, String tag, String content) {
            this.time = time;
            this.stream = stream;
            this.tag = tag;
            this.content = content;
        }

        @Override
        public String toString() {
            return time + " " + stream + " " + tag + " " + Json.quote(content);
        }
    }

    static final String K8S_TIME = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}[+-]\\d{2}:\\d{2}";

    @BeforeAll
    static void setUpWorld() throws IOException {
        w = new CrioWorld();
        System.err.println("crio e2e: " + w.mode() + ", world " + w.tmp + ", --sync " + w.sync
                + ", --log-global-size-max " + w.globalSizeMax);
    }

    @AfterAll
    static void tearDownWorld() throws IOException {
        if (w != null) {
            w.close();
            w = null;
        }
    }

    /**
     * CreateContainer's checks: the spawned process exits 0 promptly, fd 3 carries one JSON
     * value {"pid": N} and nothing else, N is a live process (CRI-O reads /proc/N/stat) and the
     * -p pidfile's; the -P pidfile names a live monitor running the binary under test; the attach
     * socket (through the symlink), ctl and winsz exist before the pid is sent.
     */
    static CrioContainer createOk(CrioContainer c) throws IOException {
        CrioReplay.Result r = c.create();
        assertEquals(0, r.exit, () -> "the spawned monitor's exit code (CRI-O fails the create otherwise); " + r);
        assertTrue(r.waitMs < 10_000, () -> "CRI-O waits for the spawned process before reading fd 3: " + r);
        Map<String, Object> v = r.json();
        assertEquals(Set.of("pid"), v.keySet(), () -> "CRI-O's create message has only pid (and message on failure): " + r);
        long pid = (Long) v.get("pid");
        assertTrue(pid > 0, () -> "pid: " + r);
        assertTrue(r.trailing.isBlank(), () -> "something after the first JSON value on fd 3: " + r);
        c.pid = (int) pid;
        assertTrue(Files.isReadable(Path.of("/proc/" + pid + "/stat")), () -> "/proc/" + pid + "/stat: " + r);
        assertEquals(String.valueOf(pid), CrioWorld.read(c.bundle.resolve("pidfile")), "the -p pidfile");
        int mon = c.monitorPid();
        assertTrue(mon > 0 && Procs.alive(mon), () -> "-P " + c.bundle.resolve("conmon-pidfile") + " = "
                + Json.quote(String.valueOf(CrioWorld.read(c.bundle.resolve("conmon-pidfile")))) + " is not a live monitor");
        assertExe(mon);
        assertTrue(Files.isSymbolicLink(c.attachLink()), () -> c.attachLink() + " is not a symlink");
        assertEquals(c.bundle.toRealPath(), c.attachLink().toRealPath(), "the socket-dir symlink's target");
        assertEquals("s", mode(c.attachPath()), "<socket-dir>/<id>/attach is a socket");
        assertEquals("p", mode(c.ctl()), "ctl is a FIFO");
        assertEquals("p", mode(c.bundle.resolve("winsz")), "winsz is a FIFO");
        return c;
    }

    static void assertExe(int pid) {
        try {
            Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
            assertEquals(w.expectedExe, exe, () -> "monitor " + pid + " is not the monitor under test: " + Procs.cmdline(pid));
        } catch (IOException e) {
            throw new AssertionError("/proc/" + pid + "/exe", e);
        }
    }

    /** "s" socket, "p" FIFO, "l" symlink, "f" file, "d" dir, "-" missing (following links). */
    static String mode(Path p) {
        if (Files.isSymbolicLink(p) && !p.getFileName().toString().equals("attach")) {
            return "l";
        }
        if (!Files.exists(p)) {
            return "-";
        }
        try {
            String t = Files.getAttribute(p, "unix:mode").toString();
            int m = Integer.parseInt(t) & 0170000;
            return m == 0140000 ? "s" : m == 0010000 ? "p" : m == 0100000 ? "f" : m == 040000 ? "d" : "?";
        } catch (IOException e) {
            return "-";
        }
    }

    /** Parses a k8s-file log byte-exactly (conmon-protocol.md 5.2). */
    static List<Rec> parseK8s(String text, String what) {
        List<Rec> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        assertTrue(text.endsWith("\n"), () -> what + " does not end with \\n: ..." + Json.quote(
                text.substring(Math.max(0, text.length() - 100))));
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            String line = text.substring(start, nl);
            start = nl + 1;
            String[] f = line.split(" ", 4);
            if (f.length < 4 || !f[0].matches(K8S_TIME) || !(f[1].equals("stdout") || f[1].equals("stderr"))
                    || !(f[2].equals("F") || f[2].equals("P"))) {
                throw new AssertionError(what + ": malformed k8s-file record " + Json.quote(line));
            }
            out.add(new Rec(f[0], f[1], f[2], f[3]));
        }
        return out;
    }

    /** kubelet's reading: P records joined with what follows, one entry per F-terminated line. */
    static List<String> lines(List<Rec> recs, String stream) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (Rec r : recs) {
            if (!r.stream.equals(stream)) {
                continue;
            }
            cur.append(r.content);
            if (r.tag.equals("F")) {
                out.add(cur.toString());
                cur.setLength(0);
            }
        }
        if (cur.length() > 0) {
            out.add(cur + "<partial>");
        }
        return out;
    }

    /** CRI-O's ExecSync parser (2.5): F content keeps its \n, P content as is. */
    static String streamText(List<Rec> recs, String stream) {
        StringBuilder b = new StringBuilder();
        for (Rec r : recs) {
            if (r.stream.equals(stream)) {
                b.append(r.content).append(r.tag.equals("F") ? "\n" : "");
            }
        }
        return b.toString();
    }

    /** lines == 1..n, reporting the first difference. */
    static void assertSeq(List<String> lines, int n, String what) {
        for (int i = 0; i < Math.min(n, lines.size()); i++) {
            if (!String.valueOf(i + 1).equals(lines.get(i))) {
                int at = i;
                throw new AssertionError(what + ": line " + (at + 1) + " is " + Json.quote(lines.get(at)) + "; around it "
                        + lines.subList(Math.max(0, at - 3), Math.min(lines.size(), at + 4)) + "; " + lines.size() + " lines");
            }
        }
        assertEquals(n, lines.size(), () -> what + ": line count; last " + (lines.isEmpty() ? "none" : lines.get(lines.size() - 1)));
    }

    /** CRI-O 1.28.0's Living(): kill(pid, 0) succeeds for a zombie too. True once ESRCH. */
    static boolean awaitGone(int pid, long timeoutMs) {
        return Wait.until(timeoutMs, () -> Native.kill(pid, 0) != 0);
    }

    static void writeScript(Path p, String body) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, body, StandardCharsets.UTF_8);
        p.toFile().setExecutable(true);
    }

    /**
     * A jshim-only test (it kills or inspects jshimd) run against another monitor fails here:
     * ctest leaves the jshim-only tag out in validation mode, so only a hand-made run gets here,
     * and it must not pass for a skip.
     */
    static void requireJshim(String test) {
        if (w.validation) {
            throw new AssertionError(test + " is jshim-only and cannot run in " + w.mode()
                    + "; leave the tag jshim-only out (ctest does in validation mode)");
        }
    }
}
