package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Helpers of the protocol v2 daemon tests: a log dir, an exit dir, a FakeLauncher with their fds. */
abstract class DaemonV2Base {
    static final Pattern K8S = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}[+-]\\d\\d:\\d\\d (stdout|stderr) ([FP]) (.*)");
    static final int LOG = Protocol.HELLO_LOG_FILE;
    static final int K8S_FILE = Protocol.LOG_K8S_FILE;
    static final int CODE = Protocol.EXIT_CONMON_CODE;

    @TempDir
    Path dir;
    Path logs;
    Path exits;

    @BeforeEach
    void dirs() throws Exception {
        logs = Files.createDirectories(dir.resolve("logs"));
        exits = Files.createDirectories(dir.resolve("exits"));
    }

    FakeLauncher launcher(DaemonHarness d, String id, boolean stdin) throws Exception {
        FakeLauncher l = new FakeLauncher(dir, id, stdin);
        l.dirs(exits, logs);
        l.connect(d.socket);
        return l;
    }

    static void ready(FakeLauncher l) throws Exception {
        assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
        assertEquals(2, l.lastVersion, "a v2 HELLO gets v2 replies");
    }

    static void done(FakeLauncher l) throws Exception {
        assertEquals(Protocol.MSG_DONE, l.receive(5000)[0]);
        assertEquals(2, l.lastVersion);
    }

    /** "stream tag text" of every k8s-file record. */
    static List<String> records(Path log) throws Exception {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .map(K8S::matcher)
                .peek(m -> assertTrue(m.matches(), () -> "malformed record " + m))
                .map(m -> m.group(1) + " " + m.group(2) + " " + m.group(3))
                .toList();
    }

    static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * For the objects behind these fds (pipes, memfds, sockets, dirs: readlink of /proc/self/fd),
     * how many fds of this process refer to each. The daemon runs in this JVM, so its duplicates
     * count too: once it has closed them, the counts are the launcher's own again.
     */
    static Map<String, Long> held(int... fds) throws Exception {
        Set<String> objects = new HashSet<>();
        for (int fd : fds) {
            if (fd >= 0) {
                objects.add(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
            }
        }
        Map<String, Long> counts = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (objects.contains(target)) {
                        counts.merge(target, 1L, Long::sum);
                    }
                } catch (java.io.IOException gone) {
                    // closed while listing (the directory stream's own fd, for one)
                }
            }
        }
        return counts;
    }

    static int[] all(FakeLauncher l) {
        return new int[] {l.journal, l.out[0], l.outSpool, l.err[0], l.errSpool, l.exitDir, l.logDir, l.listener,
            l.journald, l.in[1]};
    }

    static long inode(Path p) throws Exception {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    static void waitFor(Poll.Check c, String what) throws Exception {
        Poll.until(5_000, c, what);
    }

    static boolean caughtUp(FakeLauncher l) {
        return l.caughtUp(1) && l.caughtUp(2);
    }
}
