package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.daemon.FakeLauncher.Exit;
import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A log that never takes its writes (a FIFO whose reader never reads, as a hung mount would
 * behave) stalls only its own container: the others keep logging exactly, their exits are
 * recorded, new containers are served, and the stuck one's exit file still comes after
 * {@link Container#logStallMs}.
 */
@Tag("unit")
class DaemonStuckLogTest extends DaemonV2Base {
    private long savedStall;
    private int fifoReader = -1;

    @BeforeEach
    void shortStall() {
        savedStall = Container.logStallMs;
        Container.logStallMs = 700;
    }

    @AfterEach
    void restore() {
        Container.logStallMs = savedStall;
        if (fifoReader >= 0) {
            Native.close(fifoReader);
        }
    }

    private Path fifo(String name) throws Exception {
        Path p = logs.resolve(name);
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor(), "mkfifo");
        return p;
    }

    private static String lines(String tag, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(tag).append('-').append(i).append('\n');
        }
        return sb.toString();
    }

    private static List<String> expected(String tag, int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("stdout F " + tag + "-" + i);
        }
        return l;
    }

    /** How many fds of this process (the daemon's included) refer to the file behind fd (its inode). */
    private static int sameFile(int fd) throws Exception {
        long ino = Errno.check(Native.fstatIno(fd), "fstat", "fd " + fd);
        int n = 0;
        try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                if (Native.fstatIno(Integer.parseInt(p.getFileName().toString())) == ino) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Reads everything the FIFO holds now; the byte count. */
    private long drainFifo() {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
        long total = 0;
        for (int n; (n = Native.read(fifoReader, b, 0, b.capacity())) > 0; ) {
            total += n;
        }
        return total;
    }

    @Test
    void aLogThatNeverTakesItsWritesStallsOnlyItsOwnContainer() throws Exception {
        Path stuckLog = fifo("a.log");
        // a reader that never reads: the daemon's open succeeds, its writes block once the FIFO is full
        fifoReader = Errno.check(Native.open(stuckLog.toString(), Native.O_RDONLY | Native.O_NONBLOCK, 0), "open",
                stuckLog);
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher a = launcher(d, "a", false);
                FakeLauncher b = launcher(d, "b", false); FakeLauncher c = launcher(d, "c", false)) {
            a.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "a.log", "a");
            ready(a);
            b.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "b.log", "b");
            ready(b);
            c.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "c.log", "c");
            ready(c);
            // A writes until its pipe is full: the FIFO takes 64 KiB, then the daemon's write
            // blocks, A's pipe is no longer read, and A itself would block (back-pressure)
            Errno.check(Native.setNonBlocking(a.out[1], true), "fcntl", "A's stdout");
            ByteBuffer line = ByteBuffer.allocateDirect(1001);
            for (int i = 0; i < 1000; i++) {
                line.put(i, (byte) 'x');
            }
            line.put(1000, (byte) '\n');
            long written = 0;
            long idleSince = System.nanoTime();
            while (System.nanoTime() - idleSince < 500_000_000L) {
                int n = Native.write(a.out[1], line, 0, 1001);
                if (n > 0) {
                    written += n;
                    idleSince = System.nanoTime();
                } else {
                    assertEquals(-Native.EAGAIN, n);
                    Thread.sleep(5);
                }
                assertTrue(written < (64 << 20), "A's output is not held back: " + written);
            }
            assertTrue(written > 64 * 1024, "FIFO and pipe full after " + written + " bytes");
            // B and C keep logging, in several rounds, while A's write never returns
            for (int round = 0; round < 5; round++) {
                FakeLauncher.writeAll(b.out[1], lines("b", round * 100, round * 100 + 100));
                FakeLauncher.writeAll(c.out[1], lines("c", round * 100, round * 100 + 100));
                int n = round * 100 + 100;
                waitFor(() -> records(logs.resolve("b.log")).size() == n && caughtUp(b)
                        && Files.size(logs.resolve("b.log")) == b.committed(0), "B round " + round + ", committed");
                waitFor(() -> caughtUp(c) && records(logs.resolve("c.log")).size() == n, "C round " + round);
            }
            assertEquals(expected("b", 500), records(logs.resolve("b.log")), "B's log is exact");
            assertEquals(expected("c", 500), records(logs.resolve("c.log")), "C's log is exact");
            // the loop still serves new launchers
            try (FakeLauncher e = launcher(d, "e", false)) {
                e.hello2(LOG, Protocol.STATE_EXITED, new Exit(3 << 8, 0, 1), 0, K8S_FILE, CODE, 0, "e.log", "e");
                ready(e);
                done(e);
                assertEquals("3", Files.readString(exits.resolve("e")));
            }
            // B and C exit: their exit files are written, A's stuck write does not hold them up
            b.exited2(new Exit(0, 0, 1));
            c.exited2(new Exit(1 << 8, 0, 1));
            done(b);
            done(c);
            assertEquals("0", Files.readString(exits.resolve("b")));
            assertEquals("1", Files.readString(exits.resolve("c")));
            // A exits: its exit file comes after the stall deadline, the log incomplete
            long exitedAt = System.nanoTime();
            a.exited2(new Exit(9, 0, 1));
            done(a);
            long tookMs = (System.nanoTime() - exitedAt) / 1_000_000;
            assertEquals("137", Files.readString(exits.resolve("a")));
            assertTrue(tookMs >= 600, "A's exit file waited for its log first: " + tookMs + " ms");
            assertEquals(0, (int) d.onLoop(() -> d.daemon.containerCount()), "every container released");
            // A's fds stay open while its write is stuck, and close once it returns
            assertEquals(1, sameFile(b.outSpool), "B's spool: only the launcher's fd");
            assertEquals(2, sameFile(a.outSpool), "A's spool: the launcher's fd and the stuck daemon's");
            long read = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sameFile(a.outSpool) != 1) {
                assertTrue(System.nanoTime() < deadline, "A's fds closed after its write returned");
                read += drainFifo();
                Thread.sleep(5);
            }
            assertTrue(read > 0, "the stuck write went on into the FIFO: " + read);
        }
    }

    @Test
    void aFifoNobodyReadsFailsThatContainerAtHello() throws Exception {
        fifo("nobody.log");
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher bad = launcher(d, "n", false);
                FakeLauncher good = launcher(d, "g", false)) {
            bad.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "nobody.log", "n");
            int[] r = bad.receive(2000);
            assertEquals(Protocol.MSG_FAILED, r[0]);
            assertEquals(6 /* ENXIO */, r[1], "open without a reader fails instead of blocking");
            good.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "g.log", "g");
            ready(good);
            FakeLauncher.writeAll(good.out[1], "fine\n");
            waitFor(() -> caughtUp(good) && records(logs.resolve("g.log")).equals(List.of("stdout F fine")), "good");
        }
    }
}
