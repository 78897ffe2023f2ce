package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ShimmyLogFormatTest {
    private static final long T = 1706868672L; // 2024-02-02T10:11:12Z
    private static final String TS = "2024-02-02T10:11:12.123456789+00:00";

    private static String format(byte[] chunk, int stream) {
        byte[] src = new byte[chunk.length + 3];
        System.arraycopy(chunk, 0, src, 3, chunk.length); // a non-zero offset
        LogBuffer out = new LogBuffer(16);
        new ShimmyLogFormat().format(src, 3, chunk.length, stream, T, 123456789, out);
        return new String(out.toArray(), StandardCharsets.UTF_8);
    }

    private static String lossy(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        String rec = format(b, LogFormat.STDOUT);
        String prefix = TS + " stdout ";
        return rec.substring(prefix.length(), rec.length() - 1);
    }

    @Test
    void aLateNonAsciiByteRedoesOnlyThisChunksRecords() {
        LogBuffer out = new LogBuffer(16);
        ShimmyLogFormat f = new ShimmyLogFormat();
        byte[] first = "earlier\n".getBytes(StandardCharsets.UTF_8);
        f.format(first, 0, first.length, LogFormat.STDOUT, T, 123456789, out);
        // 40 ASCII lines (records emitted by the fast pass), then an invalid byte in the last
        byte[] chunk = ("abcdefghij\n".repeat(40) + "tail \u00e9 \nx").getBytes(StandardCharsets.UTF_8);
        chunk[chunk.length - 1] = (byte) 0xff;
        f.format(chunk, 0, chunk.length, LogFormat.STDOUT, T, 123456789, out);
        String expected = TS + " stdout earlier\n" + (TS + " stdout abcdefghij\n").repeat(40)
                + TS + " stdout tail \u00e9 \n" + TS + " stdout \ufffd\n";
        assertEquals(expected, new String(out.toArray(), StandardCharsets.UTF_8));
    }

    @Test
    void oneRecordPerNonEmptyLine() {
        assertEquals(TS + " stdout a\n" + TS + " stdout b\n",
                format("a\n\n\nb\n".getBytes(StandardCharsets.UTF_8), LogFormat.STDOUT));
    }

    @Test
    void stderrAndUnterminatedLastLine() {
        assertEquals(TS + " stderr x y\n" + TS + " stderr partial\n",
                format("x y\npartial".getBytes(StandardCharsets.UTF_8), LogFormat.STDERR));
    }

    @Test
    void onlyNewlinesGiveNothing() {
        assertEquals("", format("\n\n\n".getBytes(StandardCharsets.UTF_8), LogFormat.STDOUT));
        assertEquals("", format(new byte[0], LogFormat.STDOUT));
    }

    @Test
    void carriageReturnIsKept() {
        assertEquals(TS + " stdout a\r\n" + TS + " stdout \r\n",
                format("a\r\n\r\n".getBytes(StandardCharsets.UTF_8), LogFormat.STDOUT));
    }

    @Test
    void validUtf8IsCopied() {
        String s = "h\u00e9 \u20ac \ud83d\ude00 \u0800\uffff";
        assertEquals(TS + " stdout " + s + "\n", format(s.getBytes(StandardCharsets.UTF_8), LogFormat.STDOUT));
    }

    @Test
    void lossyUtf8MaximalSubparts() {
        String r = "\ufffd";
        assertEquals("a" + r + "b", lossy('a', 0xFF, 'b'));
        assertEquals(r + r, lossy(0x80, 0xBF)); // lone continuation bytes
        assertEquals(r + r, lossy(0xC0, 0xAF)); // overlong 2-byte
        assertEquals(r + r + r, lossy(0xE0, 0x80, 0xAF)); // overlong 3-byte
        assertEquals(r + r + r + r, lossy(0xF0, 0x80, 0x80, 0xAF)); // overlong 4-byte
        assertEquals(r + r + r, lossy(0xED, 0xA0, 0x80)); // surrogate U+D800
        assertEquals(r + r + r + r, lossy(0xF4, 0x90, 0x80, 0x80)); // above U+10FFFF
        assertEquals(r + r + r + r, lossy(0xF5, 0x80, 0x80, 0x80));
        assertEquals(r, lossy(0xF0, 0x9F, 0x98)); // truncated 4-byte at the end
        assertEquals(r + "A", lossy(0xE2, 0x82, 'A')); // truncated 3-byte before ASCII
        assertEquals(r + "\u20ac", lossy(0xE2, 0xE2, 0x82, 0xAC));
        assertEquals(r, lossy(0xC3)); // truncated 2-byte
        assertEquals("x" + r + r + "y", lossy('x', 0xF1, 0x80, 0x80, 0xE1, 0x80, 'y'));
    }

    @Test
    void truncatedSequenceBeforeNewlineEndsItsRecord() {
        byte[] b = {'a', (byte) 0xE2, (byte) 0x82, '\n', 'b'};
        assertEquals(TS + " stdout a\ufffd\n" + TS + " stdout b\n", format(b, LogFormat.STDOUT));
    }

    @Test
    void bigChunkManyLines() {
        StringBuilder in = new StringBuilder();
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            in.append("line ").append(i).append('\n');
            want.append(TS).append(" stdout line ").append(i).append('\n');
        }
        assertEquals(want.toString(), format(in.toString().getBytes(StandardCharsets.UTF_8), LogFormat.STDOUT));
    }

    @Test
    void wordScanAgreesWithBytewiseReference() {
        java.util.Random rnd = new java.util.Random(7);
        byte[] alphabet = {'a', 'b', ' ', '\n', '\n', '\r', (byte) 0xC3, (byte) 0xA9, (byte) 0xE2, (byte) 0x82,
            (byte) 0xAC, (byte) 0xF0, (byte) 0x9F, (byte) 0xFF, 0x0A ^ 0x01, 0x0B, (byte) 0x8A};
        for (int round = 0; round < 2000; round++) {
            byte[] chunk = new byte[rnd.nextInt(70)];
            boolean ascii = rnd.nextBoolean();
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = alphabet[rnd.nextInt(ascii ? 5 : alphabet.length)];
            }
            StringBuilder want = new StringBuilder();
            int start = 0;
            for (int i = 0; i <= chunk.length; i++) {
                if (i == chunk.length || chunk[i] == '\n') {
                    if (i > start) {
                        LogBuffer line = new LogBuffer(16);
                        ShimmyLogFormat.appendLossy(chunk, start, i, line);
                        byte[] b = line.toArray();
                        want.append(TS).append(" stdout ").append(new String(b, StandardCharsets.UTF_8)).append('\n');
                    }
                    start = i + 1;
                }
            }
            assertEquals(want.toString(), format(chunk, LogFormat.STDOUT), "round " + round);
        }
    }
}
