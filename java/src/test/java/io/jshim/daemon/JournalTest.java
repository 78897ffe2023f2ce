package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class JournalTest {
    @TempDir
    Path dir;

    @Test
    void commitWritesTheOtherSlotThenFlipsCurrent() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "j1", false)) {
            Journal j = Journal.map(l.journal);
            assertEquals(0, j.logSize());
            j.commit(100, 10, 20);
            assertEquals(1, l.journalInt(Protocol.JOURNAL_OFF_CURRENT));
            assertEquals(100, l.committed(0));
            assertEquals(10, l.committed(1));
            assertEquals(20, l.committed(2));
            j.commit(200, 30, 40);
            assertEquals(0, l.journalInt(Protocol.JOURNAL_OFF_CURRENT));
            // the previous slot still holds the older commit
            assertEquals(100, l.journalBuf.getLong(Protocol.JOURNAL_OFF_SLOTS + Protocol.JOURNAL_SLOT_SIZE));
            assertEquals(200, j.logSize());
            assertEquals(30, j.spoolDone(0));
            assertEquals(40, j.spoolDone(1));
            j.unmap();
            j.unmap(); // idempotent
            // a second mapping (a restarted daemon) sees the same commit
            Journal again = Journal.map(l.journal);
            assertEquals(200, again.logSize());
            again.setFlag(Protocol.JOURNAL_EXIT_WRITTEN);
            assertEquals(Protocol.JOURNAL_EXIT_WRITTEN, l.journalInt(Protocol.JOURNAL_OFF_FLAGS));
            again.unmap();
        }
    }

    @Test
    void badMagicOrVersionIsRefused() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "j2", false)) {
            l.journalBuf.putInt(Protocol.JOURNAL_OFF_MAGIC, 0x12345678);
            ServeException e = assertThrows(ServeException.class, () -> Journal.map(l.journal));
            assertTrue(e.getMessage().contains("magic"), e.getMessage());
            l.journalBuf.putInt(Protocol.JOURNAL_OFF_MAGIC, Protocol.JOURNAL_MAGIC);
            l.journalBuf.putInt(Protocol.JOURNAL_OFF_VERSION, 2);
            assertThrows(ServeException.class, () -> Journal.map(l.journal));
            l.journalBuf.putInt(Protocol.JOURNAL_OFF_VERSION, Protocol.JOURNAL_VERSION);
            l.journalBuf.putInt(Protocol.JOURNAL_OFF_CURRENT, 2);
            assertThrows(ServeException.class, () -> Journal.map(l.journal));
        }
    }

    @Test
    void logIsTruncatedOnceThenCutBackToTheCommittedSize() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "j3", false)) {
            Files.writeString(l.log, "from an earlier container\n");
            Journal j = Journal.map(l.journal);
            LogFile log = LogFile.open(l.log.toString(), j);
            assertTrue(j.hasFlag(Protocol.JOURNAL_LOG_OPENED));
            assertEquals(0, Files.size(l.log), "the first open truncates, as shimmy does");
            LogBuffer sink = new LogBuffer(64);
            byte[] rec = "committed\n".getBytes(StandardCharsets.UTF_8);
            sink.put(rec, 0, rec.length);
            log.write(sink);
            assertEquals(rec.length, log.size());
            j.commit(log.size(), 0, 0);
            byte[] half = "half-writ".getBytes(StandardCharsets.UTF_8);
            sink.put(half, 0, half.length);
            log.write(sink);
            log.close();
            assertEquals(rec.length + half.length, Files.size(l.log));
            LogFile reopened = LogFile.open(l.log.toString(), j);
            assertEquals(rec.length, reopened.size());
            assertEquals("committed\n", Files.readString(l.log));
            reopened.close();
            j.unmap();
        }
    }

    @Test
    void byteSinkCompactsAndGrows() {
        ByteSink s = new ByteSink(0);
        ByteBuffer src = ByteBuffer.allocateDirect(10000);
        for (int i = 0; i < 10000; i++) {
            src.put(i, (byte) i);
        }
        s.put(src, 0, 3000);
        s.consume(2500);
        s.put(src, 3000, 3000); // fits after compaction
        assertEquals(3500, s.size());
        s.put(src, 6000, 4000); // grows
        assertEquals(7500, s.size());
        for (int i = 0; i < 7500; i++) {
            assertEquals((byte) (2500 + i), s.buffer().get(s.start() + i));
        }
        s.consume(7500);
        assertTrue(s.isEmpty());
        s.shrinkIfEmpty(4096);
        assertFalse(s.buffer().capacity() > 4096);
    }
}
