package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ExitFileTest {
    private static final long T = 1706868672L;

    @Test
    void exitedUsesTheExitStatus() {
        assertEquals("{\"at\": \"2024-02-02T10:11:12.5+00:00\", \"reason\": \"exited\", \"exitCode\": 0}"
                .replace(".5+", ".500+"), ExitFile.text(0, T, 500_000_000));
        assertEquals("{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"exited\", \"exitCode\": 3}",
                ExitFile.text(3 << 8, T, 0));
        assertEquals("{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"exited\", \"exitCode\": 200}",
                ExitFile.text(200 << 8, T, 0));
    }

    @Test
    void signaledUsesTheSignal() {
        assertEquals("{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"signaled\", \"signal\": 9}",
                ExitFile.text(9, T, 0));
        // core dump bit set: still the signal number
        assertEquals("{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"signaled\", \"signal\": 11}",
                ExitFile.text(0x80 | 11, T, 0));
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemp(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("exit");
        Files.writeString(p, "old");
        ExitFile.write(p.toString(), "{\"x\": 1}");
        assertEquals("{\"x\": 1}", Files.readString(p, StandardCharsets.UTF_8));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    /** Issue 11: v1 (paths): a symlink at the exit path is replaced, its target untouched. */
    @Test
    void writeReplacesASymlinkAtThePath(@TempDir Path dir) throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path p = Files.createSymbolicLink(dir.resolve("exit"), victim);
        ExitFile.write(p.toString(), "{\"x\": 2}");
        assertFalse(Files.isSymbolicLink(p));
        assertEquals("{\"x\": 2}", Files.readString(p, StandardCharsets.UTF_8));
        assertEquals("precious", Files.readString(victim));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temp file left");
        }
    }

    @Test
    void writeIntoMissingDirectoryFails(@TempDir Path dir) {
        Path p = dir.resolve("nope/exit");
        NativeIoException e = assertThrows(NativeIoException.class, () -> ExitFile.write(p.toString(), "x"));
        assertEquals(2, e.errno());
        assertFalse(Files.exists(p));
    }

    @Test
    void conmonTextIsTheBareCode() {
        assertEquals("0", ExitFile.conmonText(0, false));
        assertEquals("3", ExitFile.conmonText(3 << 8, false));
        assertEquals("255", ExitFile.conmonText(255 << 8, false));
        assertEquals("137", ExitFile.conmonText(9, false));
        assertEquals("139", ExitFile.conmonText(0x80 | 11, false), "core dump bit: still 128 + signal");
        assertEquals("-1", ExitFile.conmonText(9, true));
        assertEquals("-1", ExitFile.conmonText(0, true));
    }

    @Test
    void writeAtReplacesASymlinkInsteadOfFollowingIt(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "keep");
        Path exits = Files.createDirectories(dir.resolve("exits"));
        Files.createSymbolicLink(exits.resolve("c1"), target);
        int fd = Errno.check(Native.open(exits.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open", exits);
        try {
            ExitFile.writeAt(fd, "c1".getBytes(StandardCharsets.UTF_8), "exit c1", "42");
        } finally {
            Native.close(fd);
        }
        assertFalse(Files.isSymbolicLink(exits.resolve("c1")));
        assertEquals("42", Files.readString(exits.resolve("c1")));
        assertEquals("keep", Files.readString(target));
        try (var s = Files.list(exits)) {
            assertEquals(1, s.count(), "no temp file is left");
        }
    }

    @Test
    void writeAtFailureLeavesNoTemp(@TempDir Path dir) throws Exception {
        Path exits = Files.createDirectories(dir.resolve("exits"));
        Files.createDirectories(exits.resolve("c1").resolve("sub")); // a non-empty directory at the name
        int fd = Errno.check(Native.open(exits.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open", exits);
        try {
            assertThrows(NativeIoException.class,
                    () -> ExitFile.writeAt(fd, "c1".getBytes(StandardCharsets.UTF_8), "exit c1", "1"));
        } finally {
            Native.close(fd);
        }
        try (var s = Files.list(exits)) {
            assertEquals(1, s.count(), "only the directory: the temp was removed");
        }
    }

    @Test
    void tempNamesAreUniqueHiddenAndBasedOnTheName() {
        byte[] name = "c1".getBytes(StandardCharsets.UTF_8);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String t = new String(ExitFile.tmpName(name), StandardCharsets.UTF_8);
            assertTrue(t.matches("\\.c1\\.[0-9a-f]{16}\\.tmp"), t);
            assertTrue(seen.add(t), "repeated temp name " + t);
        }
        byte[] longName = "x".repeat(255).getBytes(StandardCharsets.UTF_8);
        assertTrue(ExitFile.tmpName(longName).length <= 255, "a temp for a 255-byte name fits NAME_MAX");
    }
}
