package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.daemon.FakeLauncher.Exit;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Protocol v2 logs: the launcher's file, journal semantics, --log-size-max and REOPEN_LOG replacement. */
@Tag("unit")
class DaemonV2LogTest extends DaemonV2Base {
    @Test
    void theFirstDaemonKeepsWhatTheLogHoldsAndALaterOneDropsTheUncommitted() throws Exception {
        Path log = logs.resolve("ctr.log");
        Files.writeString(log, "from the last podman start\n"); // conmon appends across starts
        long before = Files.size(log);
        try (FakeLauncher l = new FakeLauncher(dir, "c2", false)) {
            l.dirs(exits, logs);
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "ctr.log", "c2");
                ready(l);
                assertEquals(before, l.committed(0), "the existing content counts as committed");
                FakeLauncher.writeAll(l.out[1], "one\n");
                waitFor(() -> caughtUp(l) && l.committed(0) > before, "first record committed");
            }
            Files.writeString(log, "GARBAGE\n", java.nio.file.StandardOpenOption.APPEND);
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello2(LOG, Protocol.STATE_EXITED, new Exit(9, 0, 1), 0, K8S_FILE, CODE, 0, "ctr.log", "c2");
                ready(l);
                done(l);
            }
            List<String> lines = Files.readAllLines(log);
            assertEquals("from the last podman start", lines.get(0));
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(1).endsWith(" stdout F one"), lines.get(1));
            assertEquals("137", Files.readString(exits.resolve("c2")), "128 + signal");
        }
    }

    @Test
    void logSizeMaxReplacesTheLogAndLeavesNoTemp() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "m1", false)) {
            l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 300, K8S_FILE, CODE, 0, "ctr.log", "m1");
            ready(l);
            Path log = logs.resolve("ctr.log");
            java.util.Set<Long> inodes = new java.util.HashSet<>(List.of(inode(log)));
            for (int i = 10; i < 40; i++) {
                FakeLauncher.writeAll(l.out[1], "line-" + i + "\n");
                long want = i;
                // the record is written, then committed (in one I/O job): wait for the commit too,
                // the file and the journal are not read atomically
                waitFor(() -> Files.readString(log).endsWith(" line-" + want + "\n") && caughtUp(l)
                        && Files.size(log) == l.committed(0), "line " + i);
                inodes.add(inode(log));
                assertTrue(Files.size(log) <= 300, "log of " + Files.size(log) + " bytes");
                assertEquals(Files.size(log), l.committed(0), "committed size is the file's");
            }
            l.exited2(new Exit(0, 0, 1));
            done(l);
            // ext4 may hand a freed inode number to a later replacement: count the numbers seen
            assertTrue(inodes.size() > 1, "new files at the name: " + inodes);
            List<String> r = records(log);
            assertTrue(r.size() >= 1 && r.size() <= 5, "at most 5 records of 53 bytes fit in 300: " + r);
            for (int k = 0; k < r.size(); k++) {
                assertEquals("stdout F line-" + (40 - r.size() + k), r.get(k), "the newest lines, in order");
            }
            assertEquals(List.of("ctr.log"), names(logs), "no ctr.log.tmp is left");
        }
    }

    @Test
    void logSizeMaxCountsRecordsNotChunks() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "m2", false)) {
            l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 1000, K8S_FILE, CODE, 0, "ctr.log", "m2");
            ready(l);
            Path log = logs.resolve("ctr.log");
            StringBuilder seq = new StringBuilder();
            for (int i = 1; i <= 200; i++) {
                seq.append(i).append('\n');
            }
            FakeLauncher.writeAll(l.out[1], seq.toString()); // one chunk, as `seq 1 200` writes it
            l.exited2(new Exit(0, 0, 1));
            done(l);
            assertTrue(Files.size(log) <= 1000, "log of " + Files.size(log) + " bytes");
            assertEquals(Files.size(log), l.committed(0));
            List<String> r = records(log);
            assertTrue(r.size() > 10, r.toString());
            for (int k = 0; k < r.size(); k++) {
                assertEquals("stdout F " + (201 - r.size() + k), r.get(k), "the newest lines, in order");
            }
            assertEquals(List.of("ctr.log"), names(logs));
        }
    }

    @Test
    void reopenLogStartsAnEmptyFile() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "r1", false)) {
            Files.writeString(logs.resolve("ctr.log.tmp"), "stale"); // a daemon killed mid-replacement
            l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "ctr.log", "r1");
            ready(l);
            Path log = logs.resolve("ctr.log");
            assertEquals(List.of("ctr.log"), names(logs), "a stale temp is removed");
            FakeLauncher.writeAll(l.out[1], "one\n");
            waitFor(() -> caughtUp(l) && records(log).equals(List.of("stdout F one")), "one");
            long before = inode(log);
            l.reopenLog();
            waitFor(() -> inode(log) != before, "the log replaced");
            assertEquals(0, Files.size(log));
            assertEquals(0, l.committed(0));
            FakeLauncher.writeAll(l.out[1], "two\n");
            waitFor(() -> records(log).equals(List.of("stdout F two")) && caughtUp(l)
                    && Files.size(log) == l.committed(0), "two in the new file, committed");
            l.exited2(new Exit(0, 0, 1));
            done(l);
            assertEquals(List.of("ctr.log"), names(logs));
        }
    }

    @Test
    void withoutALogFileOutputIsStillCommittedAndReopenIsIgnored() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "n1", false)) {
            l.hello2(0, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "", "n1");
            ready(l);
            FakeLauncher.writeAll(l.out[1], "nowhere\n");
            waitFor(() -> caughtUp(l), "output committed");
            l.reopenLog();
            l.exited2(new Exit(0, 0, 1));
            done(l);
            assertEquals(List.of(), names(logs));
            assertEquals("0", Files.readString(exits.resolve("n1")));
        }
    }

    @Test
    void aSymlinkAtTheLogNameFailsThatContainerOnly() throws Exception {
        Path precious = Files.writeString(dir.resolve("precious"), "precious");
        Files.createSymbolicLink(logs.resolve("bad.log"), precious);
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher good = launcher(d, "g", false);
                FakeLauncher bad = launcher(d, "b", false)) {
            good.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "good.log", "g");
            ready(good);
            Map<String, Long> fds = held(all(bad));
            bad.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "bad.log", "b");
            int[] r = bad.receive(2000);
            assertEquals(Protocol.MSG_FAILED, r[0]);
            assertEquals(2, bad.lastVersion);
            assertEquals(Native.ELOOP, r[1]);
            assertEquals("precious", Files.readString(precious));
            assertEquals(1, (int) d.onLoop(() -> d.daemon.containerCount()));
            waitFor(() -> held(all(bad)).equals(fds), "every fd of the failed HELLO closed");
            FakeLauncher.writeAll(good.out[1], "fine\n");
            waitFor(() -> caughtUp(good) && records(logs.resolve("good.log")).equals(List.of("stdout F fine")),
                    "the other container is still served");
        }
    }
}
