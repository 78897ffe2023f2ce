package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kubelet log rotation through ctl, exit files and their order, OOM, reaping and clean-up, as
 * CRI-O 1.28 sees them (crio-conmon.md 4, 6 "Reopen" and "Exit"). Tag conmon-bug: conmon 2.1.6
 * leaves the socket-dir symlink (fixed in 2.1.7, spec 3.2).
 */
@Tag("e2e")
@Tag("crio")
@Timeout(120)
class CrioLogExitE2eTest extends CrioE2eBase {
    private static final int BATCHES = 400;
    private static final int PER_BATCH = 250;

    /** 4.2/4.3 on a container writing continuously: two rotations, no line lost or repeated. */
    @Test
    void kubeletRotationOnBusyContainer() throws Exception {
        CrioContainer c = w.container("sh", "-c", "i=0; while [ $i -lt " + BATCHES + " ]; do seq $((i*" + PER_BATCH
                + "+1)) $((i*" + PER_BATCH + "+" + PER_BATCH + ")); i=$((i+1)); sleep 0.01; done; exit 0");
        createOk(c);
        c.start();
        List<Path> rotated = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            long mark = size(c.log);
            assertTrue(Wait.until(20_000, () -> size(c.log) > mark + 100_000), () -> "the log did not grow: " + size(c.log));
            rotated.add(rotate(c, "20240101-00000" + k));
            assertEquals("running", c.state(), "the container still writes after rotation " + (k + 1));
        }
        assertEquals("0", c.awaitExit(60_000));
        List<Rec> all = new ArrayList<>();
        for (Path p : rotated) {
            List<Rec> recs = parseK8s(Files.readString(p), p.toString());
            assertFalse(recs.isEmpty(), () -> p + " is empty");
            all.addAll(recs);
        }
        List<Rec> last = parseK8s(c.logText(), "the log after the last rotation");
        assertFalse(last.isEmpty(), "nothing written after the last rotation");
        all.addAll(last);
        assertSeq(lines(all, "stdout"), BATCHES * PER_BATCH, "rotated logs + log");
        assertNoTmp(c);
    }

    /** 4.2: a quiet container: the new file appears without any output; later output goes there. */
    @Test
    void kubeletRotationOnQuietContainer() throws Exception {
        CrioContainer c = w.container("sh", "-c", "echo before; read x; echo after:$x; exit 0");
        c.stdin = true;
        createOk(c);
        c.start();
        assertTrue(Wait.until(10_000, () -> c.logText().contains("before")), "before");
        Path old = rotate(c, "20240101-000000");
        assertEquals("", c.logText(), "the new log is empty: the container is quiet");
        try (CrioIo.Attach a = new CrioIo.Attach(c.attachPath())) {
            a.send("go\n");
            a.shutdownWrite();
            a.readToEof(10_000);
        }
        assertEquals("0", c.awaitExit(10_000));
        assertEquals(List.of("before"), lines(parseK8s(Files.readString(old), "rotated"), "stdout"));
        assertEquals(List.of("after:go"), lines(parseK8s(c.logText(), "log"), "stdout"));
        assertNoTmp(c);
    }

    /**
     * 3.5: a resize and a reopen coalesced into one ctl read are both handled. conmon 2.1.6
     * re-processes the first line instead (spec 3.5): conmon-bug.
     */
    @Test
    @Tag("conmon-bug")
    void resizeAndReopenInOneCtlWrite() throws Exception {
        CrioContainer c = w.container("sh", "-c", "echo before; read x; echo after:$x; exit 0");
        c.stdin = true;
        createOk(c);
        c.start();
        assertTrue(Wait.until(10_000, () -> c.logText().contains("before")), "before");
        Path old = c.log.resolveSibling(c.log.getFileName() + ".20240101-000000");
        Files.move(c.log, old);
        CrioIo.ctlWrite(c.ctl(), "1 24 80\n2 0 0\n", 5_000);
        assertTrue(Wait.until(5_000, () -> Files.exists(c.log)), () -> "no new " + c.log + " within 5 s of 1 24 80 + 2 0 0");
        try (CrioIo.Attach a = new CrioIo.Attach(c.attachPath())) {
            a.send("go\n");
            a.shutdownWrite();
            a.readToEof(10_000);
        }
        assertEquals("0", c.awaitExit(10_000));
        assertEquals(List.of("after:go"), lines(parseK8s(c.logText(), "log"), "stdout"));
    }

    /** 1.2/4.4: --log-size-max 8192 (CRI-O's minimum): the log keeps a consecutive tail, never above the cap. */
    @Test
    void logSizeMaxKeepsTheTail() throws Exception {
        CrioContainer c = w.container("sh", "-c", "seq 1 2000; exit 0");
        c.logSizeMax = 8192L;
        createOk(c);
        c.start();
        assertEquals("0", c.awaitExit(10_000));
        long size = Files.size(c.log);
        assertTrue(size > 0 && size <= 8192, () -> "log size " + size + " with --log-size-max 8192");
        List<String> tail = lines(parseK8s(c.logText(), "log"), "stdout");
        int first = Integer.parseInt(tail.get(0));
        for (int i = 0; i < tail.size(); i++) {
            assertEquals(String.valueOf(first + i), tail.get(i), "consecutive tail " + tail);
        }
        assertEquals("2000", tail.get(tail.size() - 1));
        assertNoTmp(c);
    }

    /**
     * kubelet: rename the log; CRI-O: blocking open of ctl, "2 0 0\n", wait for a Create or Write
     * of the log path (bounded here at 5 s; CRI-O waits forever). Returns the rotated path.
     */
    private static Path rotate(CrioContainer c, String suffix) throws IOException {
        Path to = c.log.resolveSibling(c.log.getFileName() + "." + suffix);
        Object oldKey = Files.readAttributes(c.log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        Files.move(c.log, to);
        CrioIo.ctlWrite(c.ctl(), "2 0 0\n", 5_000);
        assertTrue(Wait.until(5_000, () -> Files.exists(c.log)), () -> "no new " + c.log + " within 5 s of 2 0 0");
        Object newKey = Files.readAttributes(c.log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        assertFalse(oldKey.equals(newKey), "the log path is a new file");
        return to;
    }

    private static void assertNoTmp(CrioContainer c) throws IOException {
        try (Stream<Path> s = Files.list(c.log.getParent())) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".tmp")), () -> "a .tmp left in the log dir: " + names);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** 4.6/6: <persist>/exit (bare decimal) is complete before <exit-dir>/<id> is created (inotify). */
    @Test
    void exitFilesPersistThenExitDir() throws Exception {
        CrioContainer c = w.container("sh", "-c", "echo x; sleep 0.2; exit 3");
        createOk(c);
        try (CrioIo.Watch watch = new CrioIo.Watch(1, c.id, c.persist, w.exits)) {
            c.start();
            List<String> ev = watch.await(15_000);
            int persist = Math.max(watch.indexOf(0, "exit", "MOVED_TO"), watch.indexOf(0, "exit", "CLOSE_WRITE"));
            int exitDir = watch.indexOf(1, c.id, "CREATE", "MOVED_TO");
            assertTrue(persist >= 0, () -> "no completed <persist>/exit event: " + ev);
            assertTrue(persist < exitDir, () -> "<persist>/exit must be complete before <exit-dir>/<id> appears: " + ev);
        }
        assertEquals("3", CrioWorld.read(c.persistExit()), "<persist>/exit");
        assertEquals("3", CrioWorld.read(c.exitFile()), "<exit-dir>/<id>");
        assertFalse(Files.exists(c.bundle.resolve("oom")), "no <bundle>/oom without an OOM kill");
    }

    /** 4.7: an OOM kill: <bundle>/oom before the exit files, status 137. */
    @Test
    void oomKillWritesBundleOom() throws Exception {
        CrioContainer c = w.container("sh", "-c", "x=a; while true; do x=$x$x; done");
        c.memoryLimit = 16L << 20;
        createOk(c);
        try (CrioIo.Watch watch = new CrioIo.Watch(1, c.id, c.bundle, w.exits)) {
            c.start();
            List<String> ev = watch.await(30_000);
            int oom = watch.indexOf(0, "oom", "CREATE", "MOVED_TO");
            int exitDir = watch.indexOf(1, c.id, "CREATE", "MOVED_TO");
            assertTrue(oom >= 0 && oom < exitDir, () -> "<bundle>/oom must exist before <exit-dir>/<id>: " + ev);
        }
        assertEquals("137", CrioWorld.read(c.persistExit()), "<persist>/exit");
        assertTrue(Files.exists(c.bundle.resolve("oom")), "<bundle>/oom");
    }

    /** 4.8: CRI-O 1.28.0's Living() counts a zombie as alive: the init must be reaped promptly. */
    @Test
    void initIsReapedPromptly() throws Exception {
        CrioContainer c = w.container("sleep", "1000");
        createOk(c);
        c.start();
        w.runc.kill(c.id, "KILL");
        long t0 = System.nanoTime();
        assertTrue(awaitGone(c.pid, 2_000), () -> "kill(" + c.pid + ", 0) still succeeds 2 s after SIGKILL, state "
                + Procs.state(c.pid));
        System.err.println("crio e2e: init gone " + (System.nanoTime() - t0) / 1_000_000 + " ms after runc kill");
        assertEquals("137", c.awaitExit(10_000));
        assertEquals("stopped", c.state());
    }

    /** 3.2/6: <bundle>/attach is removed at exit, and the monitor exits. */
    @Test
    void attachSocketRemovedAtExit() throws Exception {
        CrioContainer c = w.container("sh", "-c", "exit 0");
        createOk(c);
        int mon = c.monitorPid();
        c.start();
        assertEquals("0", c.awaitExit(10_000));
        assertTrue(Procs.waitGone(mon, 5_000), "the monitor exits");
        assertEquals("-", mode(c.bundle.resolve("attach")), "<bundle>/attach after exit");
    }

    /** 3.2: the socket-dir symlink is removed at exit (conmon 2.1.7+; 2.1.6 leaks it: conmon-bug). */
    @Test
    @Tag("conmon-bug")
    void socketDirSymlinkRemovedAtExit() throws Exception {
        CrioContainer c = w.container("sh", "-c", "exit 0");
        createOk(c);
        int mon = c.monitorPid();
        c.start();
        assertEquals("0", c.awaitExit(10_000));
        assertTrue(Procs.waitGone(mon, 5_000), "the monitor exits");
        assertFalse(Files.exists(c.attachLink(), java.nio.file.LinkOption.NOFOLLOW_LINKS), "<socket-dir>/<id> after exit");
    }

    /**
     * 5.3/5.5: CRI-O (cgroupfs) moves the spawned monitor into {@code crio-conmon-<id>} before the
     * start byte and rmdirs it at RemoveContainer: after the exit nothing may be left in it (a
     * jshimd started from there must have left it). In jshim mode the world's daemon is killed
     * first, so this create starts one from inside the cgroup.
     */
    @Test
    void monitorCgroupIsEmptyAfterExit() throws Exception {
        for (int pid : w.daemons()) {
            io.jshim.nativeio.Native.kill(pid, io.jshim.nativeio.Native.SIGKILL);
            assertTrue(Procs.waitGone(pid, 5_000), "old jshimd gone");
        }
        CrioContainer c = w.container("sh", "-c", "echo in-scope; sleep 0.3; exit 8");
        try (ThrowawayCgroup cg = new ThrowawayCgroup("crio-conmon-" + c.id)) {
            c.monitorCgroups.addAll(cg.dirs);
            createOk(c);
            int mon = c.monitorPid();
            assertTrue(cg.pids().contains(mon), () -> "the monitor " + mon + " is not in " + cg.dirs + ": " + cg.pids());
            c.start();
            assertEquals("8", c.awaitExit(10_000));
            assertTrue(Procs.waitGone(mon, 5_000), "the monitor exits");
            List<String> errors = new ArrayList<>();
            boolean removed = Wait.until(5_000, () -> {
                errors.clear();
                for (Path d : cg.dirs) {
                    try {
                        Files.deleteIfExists(d);
                    } catch (IOException e) {
                        errors.add(e.toString());
                    }
                }
                return errors.isEmpty();
            });
            assertTrue(removed, () -> "CRI-O's rmdir of crio-conmon-<id> fails: " + errors + "; left in it: " + cg.members());
            if (!w.validation) {
                assertEquals(1, w.daemons().size(), () -> "the jshimd started from the scope survives: " + w.daemons());
            }
        }
        assertEquals(List.of("in-scope"), lines(parseK8s(c.logText(), "log"), "stdout"));
    }
}
