package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spec 5: the container log. */
@Tag("e2e")
@Timeout(120)
class LogE2eTest extends E2eBase {
    /** pkg/oci/runc_test.go Test_NonInteractive_SimpleRun, plus order within each stream. */
    @Test
    void stdoutAndStderrInOrderPerStream() throws Exception {
        Container c = fx.container("sh", "-c",
                "echo 'stdout line'; >&2 echo 'stderr line'; echo o2; echo e2 >&2; echo o3");
        Shim shim = fx.shim(c);
        shim.logLevel = "DEBUG";
        ExitFile e = runToExit(shim);
        assertEquals(0, e.exitCode, e.raw);
        List<LogRecord> recs = c.logRecords();
        assertEquals(List.of("stdout line", "o2", "o3"), LogRecord.texts(recs, "stdout"), recs::toString);
        assertEquals(List.of("stderr line", "e2"), LogRecord.texts(recs, "stderr"), recs::toString);
    }

    @Test
    void tenThousandLinesInOrder() throws Exception {
        Container c = fx.container("seq", "1", "10000");
        ExitFile e = runToExit(fx.shim(c));
        assertEquals(0, e.exitCode, e.raw);
        List<String> texts = LogRecord.texts(c.logRecords(), "stdout");
        // A line split across two reads becomes two records; join the pieces back greedily.
        int expected = 1;
        String pending = "";
        for (String t : texts) {
            pending += t;
            String want = Integer.toString(expected);
            if (pending.equals(want)) {
                expected++;
                pending = "";
            } else if (!want.startsWith(pending)) {
                throw new AssertionError("record " + Json.quote(t) + " does not continue line " + want);
            }
        }
        assertEquals("", pending, "no dangling piece");
        assertEquals(10_001, expected, "all 10,000 lines, in order");
    }

    @Test
    void oneMebibyteLineWithoutNewline() throws Exception {
        Container c = fx.container("sh", "-c", "seq 1 200000 | tr -d '\\n' | head -c 1048576");
        ExitFile e = runToExit(fx.shim(c));
        assertEquals(0, e.exitCode, e.raw);
        StringBuilder payload = new StringBuilder();
        for (int i = 1; payload.length() < 1048576; i++) {
            payload.append(i);
        }
        payload.setLength(1048576);
        List<String> texts = LogRecord.texts(c.logRecords(), "stdout");
        assertTrue(texts.size() >= 33, "at least 33 records of at most 32767 bytes, got " + texts.size());
        for (String t : texts) {
            assertTrue(t.length() <= 32767, "record of " + t.length() + " bytes");
        }
        String joined = String.join("", texts);
        assertEquals(payload.length(), joined.length(), "joined length");
        assertTrue(payload.toString().equals(joined), "the records join back to the payload");
    }

    @Test
    void emptyLinesAreDropped() throws Exception {
        Container c = fx.container("printf", "a\\n\\n\\nb\\n\\n");
        ExitFile e = runToExit(fx.shim(c));
        assertEquals(0, e.exitCode, e.raw);
        List<LogRecord> recs = c.logRecords();
        assertEquals(List.of("a", "b"), LogRecord.texts(recs, "stdout"), recs::toString);
        assertFalse(recs.stream().anyMatch(r -> r.text.isEmpty()), "no empty record");
    }
}
