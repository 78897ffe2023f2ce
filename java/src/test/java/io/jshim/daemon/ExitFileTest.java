package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jshim.nativeio.NativeIoException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void writeIntoMissingDirectoryFails(@TempDir Path dir) {
        Path p = dir.resolve("nope/exit");
        NativeIoException e = assertThrows(NativeIoException.class, () -> ExitFile.write(p.toString(), "x"));
        assertEquals(2, e.errno());
        assertFalse(Files.exists(p));
    }
}
