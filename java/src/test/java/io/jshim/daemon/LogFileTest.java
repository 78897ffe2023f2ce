package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The v2 log: openat in the log dir, journal semantics, replacement through <name>.tmp. */
@Tag("unit")
class LogFileTest {
    private static final byte[] NAME = "ctr.log".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long inode(Path p) throws Exception {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    private static void append(LogFile log, String s) {
        LogBuffer b = new LogBuffer(64);
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.put(bytes, 0, bytes.length);
        log.write(b);
    }

    private interface Body {
        void run(FakeLauncher l, int dirfd, Journal j) throws Exception;
    }

    private void withJournal(Body body) throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "lf", false)) {
            int dirfd = Errno.check(Native.open(dir.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open", dir);
            Journal j = Journal.map(l.journal);
            try {
                body.run(l, dirfd, j);
            } finally {
                j.unmap();
                Native.close(dirfd);
            }
        }
    }

    @Test
    void theFirstOpenCommitsTheCurrentSizeAndALaterOneTruncatesToTheCommitted() throws Exception {
        Path p = Files.writeString(dir.resolve("ctr.log"), "12345");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            assertEquals(5, log.size());
            assertEquals(0, log.sinceOpen(), "--log-size-max counts from this daemon's start");
            assertEquals(5, j.logSize());
            assertTrue(j.hasFlag(Protocol.JOURNAL_LOG_OPENED));
            append(log, "678");
            assertEquals(3, log.sinceOpen());
            log.close(); // killed before committing "678"
            LogFile again = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            assertEquals("12345", Files.readString(p));
            assertEquals(5, again.size());
            again.close();
        });
    }

    @Test
    void replaceCommitsZeroAndRenamesAFreshFileOverTheName() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            append(log, "old content\n");
            j.commit(log.size(), 7, 9);
            long before = inode(p);
            long[] committed = {-1};
            assertTrue(log.replace(size -> {
                committed[0] = size;
                assertTrue(Files.exists(dir.resolve("ctr.log.tmp")), "the temp exists when size 0 is committed");
                assertEquals("old content\n", read(p), "the old file is still at the name");
                j.commit(size, 7, 9);
            }));
            assertEquals(0, committed[0]);
            assertNotEquals(before, inode(p));
            assertEquals(0, Files.size(p));
            assertEquals(0, log.size());
            append(log, "new\n");
            assertEquals("new\n", Files.readString(p), "writes go to the new file");
            assertEquals(List.of("ctr.log"), names(dir));
            log.close();
        });
    }

    @Test
    void aDaemonKilledBetweenTheCommitAndTheRenameEmptiesTheOldFile() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            append(log, "old content\n");
            j.commit(log.size(), 0, 0);
            int tmp = log.createTmp();
            j.commit(0, 0, 0); // the replacement's commit ... and the daemon dies here
            Native.close(tmp);
            log.close();
            assertTrue(Files.exists(dir.resolve("ctr.log.tmp")));
            LogFile next = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            assertEquals(0, Files.size(p), "truncated to the committed 0");
            assertEquals(List.of("ctr.log"), names(dir), "the stale temp is removed");
            append(next, "after\n");
            assertEquals("after\n", Files.readString(p));
            next.close();
        });
    }

    @Test
    void aFailedReplacementKeepsTheOldFileAndLeavesNoTemp() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            append(log, "old\n");
            // a directory at <name>.tmp: unlinkat cannot remove it, openat O_EXCL fails
            Files.createDirectory(dir.resolve("ctr.log.tmp"));
            assertFalse(log.replace(size -> {
                throw new AssertionError("nothing may be committed");
            }));
            append(log, "more\n");
            assertEquals("old\nmore\n", Files.readString(p));
            log.close();
        });
    }

    /** 30-byte records "<name> " + x's + "\n", as many as asked. */
    private static String records(char name, int count) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append(name).append(' ').append("x".repeat(27)).append('\n');
        }
        return b.toString();
    }

    @Test
    void theGlobalCapStopsRecordsAfterTheOneThatCrossesIt() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            log.totalMax(100);
            append(log, records('a', 2));
            assertEquals(60, Files.size(p));
            append(log, records('b', 5)); // b1 ends at 90, b2 at 120 crosses 100: the last record
            assertEquals(records('a', 2) + records('b', 2), Files.readString(p));
            assertEquals(120, log.total());
            append(log, records('c', 1));
            assertEquals(120, Files.size(p), "nothing after the cap");
            // a replacement (--log-size-max, REOPEN_LOG) does not reset the count
            assertTrue(log.replace(size -> j.commit(size, 0, 0)));
            append(log, records('d', 1));
            assertEquals(0, Files.size(p));
            log.close();
        });
    }

    @Test
    void theGlobalCapCountsTheCommittedLogAfterARestart() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            log.totalMax(100);
            append(log, records('a', 3));
            j.commit(log.size(), 0, 0);
            log.close(); // the daemon is killed; the next one resumes at 90 bytes
            LogFile next = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            next.totalMax(100);
            assertEquals(90, next.total());
            append(next, records('b', 3));
            assertEquals(records('a', 3) + records('b', 1), Files.readString(p));
            next.close();
        });
    }

    @Test
    void noCapWritesEverything() throws Exception {
        Path p = dir.resolve("ctr.log");
        withJournal((l, dirfd, j) -> {
            LogFile log = LogFile.openAt(dirfd, NAME, "log", 0600, j);
            log.totalMax(0);
            append(log, records('a', 10));
            assertEquals(300, Files.size(p));
            log.close();
        });
    }

    @Test
    void aSymlinkAtTheNameIsRefused() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "keep");
        Files.createSymbolicLink(dir.resolve("ctr.log"), target);
        withJournal((l, dirfd, j) -> {
            io.jshim.nativeio.NativeIoException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jshim.nativeio.NativeIoException.class, () -> LogFile.openAt(dirfd, NAME, "log", 0600, j));
            assertEquals(Native.ELOOP, e.errno());
            assertEquals("keep", Files.readString(target));
            assertFalse(j.hasFlag(Protocol.JOURNAL_LOG_OPENED));
        });
    }
}
