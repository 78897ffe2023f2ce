package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pump reads the spool several chunks per pread ({@link IoScratch#BLOCK}): a backlog
 * larger than one read still gives the records of one read per chunk, exactly once.
 */
@Tag("unit")
class DaemonSpoolBacklogTest {
    private static final Pattern RECORD = Pattern.compile("\\S+ (stdout|stderr) (.*)");

    @TempDir
    Path dir;

    @Test
    void aBacklogOfSeveralReadsGivesWholeChunksExactlyOnce() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "b1", false)) {
            // spooled while no daemon ran: no newline, 2.5 reads' worth, never periodic
            StringBuilder sb = new StringBuilder();
            for (int i = 0; sb.length() < IoScratch.BLOCK * 5 / 2; i++) {
                sb.append(i).append(',');
            }
            String payload = sb.toString();
            FakeLauncher.writeAll(l.outSpool, payload);
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello(0, Protocol.STATE_RUNNING, 0);
                assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
                Poll.until(5_000, () -> l.caughtUp(1), "the backlog committed");
                l.exited(0);
                assertEquals(Protocol.MSG_DONE, l.receive(5000)[0]);
            }
            List<String> texts = Files.readAllLines(l.log, StandardCharsets.UTF_8).stream().map(line -> {
                Matcher m = RECORD.matcher(line);
                assertTrue(m.matches() && m.group(1).equals("stdout"), () -> "unexpected record " + line);
                return m.group(2);
            }).toList();
            int chunks = (payload.length() + Scratch.CHUNK - 1) / Scratch.CHUNK;
            assertEquals(chunks, texts.size(), "one record per 32767-byte chunk");
            for (int i = 0; i < chunks - 1; i++) {
                assertEquals(Scratch.CHUNK, texts.get(i).length(), "record " + i);
            }
            assertEquals(payload, String.join("", texts));
        }
    }
}
