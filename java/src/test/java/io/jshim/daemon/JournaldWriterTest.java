package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** JournaldWriter over a real socketpair(AF_UNIX, SOCK_DGRAM); every datagram is parsed. */
@Tag("unit")
class JournaldWriterTest {
    private static final int SOCK_DGRAM = 2;
    private static final String ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private final int[] pair = new int[2];

    @BeforeEach
    void open() throws Exception {
        Errno.check(Native.socketpair(SOCK_DGRAM, pair), "socketpair", "dgram");
        Errno.check(Native.setNonBlocking(pair[1], true), "fcntl", "journal end");
    }

    @AfterEach
    void closeAll() {
        Native.close(pair[0]);
        Native.close(pair[1]);
    }

    /** One parsed entry: fields in datagram order, values as bytes (latin-1 strings). */
    private static Map<String, String> parse(byte[] d) {
        Map<String, String> fields = new LinkedHashMap<>();
        int i = 0;
        while (i < d.length) {
            int eq = -1;
            int nl = -1;
            for (int k = i; k < d.length; k++) {
                if (d[k] == '=' && eq < 0) {
                    eq = k;
                }
                if (d[k] == '\n') {
                    nl = k;
                    break;
                }
            }
            assertTrue(nl > i, "field without a newline at " + i);
            String key;
            String value;
            if (eq >= 0 && eq < nl) {
                key = latin1(d, i, eq);
                value = latin1(d, eq + 1, nl);
                i = nl + 1;
            } else {
                key = latin1(d, i, nl);
                long len = ByteBuffer.wrap(d, nl + 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                int start = nl + 9;
                assertTrue(start + len < d.length, "binary field " + key + " fits");
                value = latin1(d, start, (int) (start + len));
                assertEquals('\n', d[(int) (start + len)], "binary field " + key + " ends with a newline");
                i = (int) (start + len) + 1;
            }
            assertTrue(key.matches("[A-Z_][A-Z0-9_]*"), "key " + key);
            assertFalse(fields.containsKey(key), "duplicate " + key);
            fields.put(key, value);
        }
        return fields;
    }

    private static String latin1(byte[] d, int from, int to) {
        return new String(d, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Every datagram waiting on the journal end. */
    private List<byte[]> receive() {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 17);
        while (true) {
            int n = Native.read(pair[1], buf, 0, buf.capacity());
            if (n == -Native.EAGAIN) {
                return out;
            }
            assertTrue(n > 0, "read: " + n);
            byte[] d = new byte[n];
            buf.get(0, d);
            out.add(d);
        }
    }

    private List<Map<String, String>> entries() {
        List<Map<String, String>> e = new ArrayList<>();
        for (byte[] d : receive()) {
            e.add(parse(d));
        }
        return e;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void write(JournaldWriter w, int stream, String s) {
        byte[] c = b(s);
        byte[] src = new byte[c.length + 4];
        Arrays.fill(src, (byte) '\n'); // outside the range: must not be read
        System.arraycopy(c, 0, src, 2, c.length);
        w.write(stream, src, 2, c.length);
    }

    @Test
    void oneEntryPerLineWithEveryField() {
        JournaldWriter w = new JournaldWriter(pair[0], ID, "web", "mytag");
        write(w, LogFormat.STDOUT, "hello\n\nworld\n");
        List<Map<String, String>> e = entries();
        assertEquals(3, e.size());
        Map<String, String> want = new LinkedHashMap<>();
        want.put("MESSAGE", "hello\n");
        want.put("CONTAINER_ID_FULL", ID);
        want.put("PRIORITY", "6");
        want.put("CONTAINER_ID", ID.substring(0, 12));
        want.put("CONTAINER_TAG", "mytag");
        want.put("CONTAINER_NAME", "web");
        want.put("SYSLOG_IDENTIFIER", "mytag");
        assertEquals(want, e.get(0));
        assertEquals(List.copyOf(want.keySet()), List.copyOf(e.get(0).keySet()), "field order");
        assertEquals("\n", e.get(1).get("MESSAGE"));
        assertEquals("world\n", e.get(2).get("MESSAGE"));
        assertEquals(3, w.sent());
        assertEquals(0, w.failures());
    }

    @Test
    void messageUsesTheBinaryFormOtherFieldsTheTextForm() {
        JournaldWriter w = new JournaldWriter(pair[0], ID, "web", "");
        write(w, LogFormat.STDERR, "x=1\n");
        byte[] d = receive().get(0);
        byte[] head = Arrays.copyOf(d, 8 + 8 + 4 + 1);
        ByteBuffer want = ByteBuffer.allocate(21).order(ByteOrder.LITTLE_ENDIAN);
        want.put(b("MESSAGE\n")).putLong(4).put(b("x=1\n")).put((byte) '\n');
        assertArrayEquals(want.array(), head);
        String rest = latin1(d, 21, d.length);
        assertEquals("CONTAINER_ID_FULL=" + ID + "\nPRIORITY=3\nCONTAINER_ID=" + ID.substring(0, 12)
                + "\nCONTAINER_NAME=web\nSYSLOG_IDENTIFIER=web\n", rest);
    }

    @Test
    void syslogIdentifierFallsBackToNameThenShortId() {
        new JournaldWriter(pair[0], ID, "", null).write(LogFormat.STDOUT, b("a\n"), 0, 2);
        new JournaldWriter(pair[0], "short", null, "").write(LogFormat.STDOUT, b("b\n"), 0, 2);
        List<Map<String, String>> e = entries();
        assertEquals(ID.substring(0, 12), e.get(0).get("SYSLOG_IDENTIFIER"));
        assertFalse(e.get(0).containsKey("CONTAINER_NAME"));
        assertFalse(e.get(0).containsKey("CONTAINER_TAG"));
        assertEquals("short", e.get(1).get("CONTAINER_ID"));
        assertEquals("short", e.get(1).get("SYSLOG_IDENTIFIER"));
    }

    @Test
    void aValueWithANewlineUsesTheBinaryForm() {
        new JournaldWriter(pair[0], ID, "two\nlines", null).write(LogFormat.STDOUT, b("m\n"), 0, 2);
        byte[] d = receive().get(0);
        String s = latin1(d, 0, d.length);
        assertTrue(s.contains("CONTAINER_NAME\n\u0009\0\0\0\0\0\0\0two\nlines\n"), s);
        Map<String, String> e = parse(d);
        assertEquals("two\nlines", e.get("CONTAINER_NAME"));
        assertEquals("two\nlines", e.get("SYSLOG_IDENTIFIER"));
    }

    @Test
    void fragmentsAreBufferedPerStreamUntilTheirLineEnds() {
        JournaldWriter w = new JournaldWriter(pair[0], ID, "n", null);
        write(w, LogFormat.STDOUT, "par");
        write(w, LogFormat.STDERR, "err-");
        assertEquals(0, receive().size());
        write(w, LogFormat.STDOUT, "tial\nnext");
        write(w, LogFormat.STDERR, "line\n");
        List<Map<String, String>> e = entries();
        assertEquals(2, e.size());
        assertEquals("partial\n", e.get(0).get("MESSAGE"));
        assertEquals("6", e.get(0).get("PRIORITY"));
        assertFalse(e.get(0).containsKey("CONTAINER_PARTIAL_MESSAGE"));
        assertEquals("err-line\n", e.get(1).get("MESSAGE"));
        assertEquals("3", e.get(1).get("PRIORITY"));
        w.flush(); // "next" is still buffered: sent at exit, marked partial
        e = entries();
        assertEquals(1, e.size());
        assertEquals("next", e.get(0).get("MESSAGE"));
        assertEquals("true", e.get(0).get("CONTAINER_PARTIAL_MESSAGE"));
        w.flush();
        assertEquals(0, receive().size(), "nothing left");
    }

    @Test
    void aFragmentThatWouldOverflowTheBufferIsSentAsPartial() {
        JournaldWriter w = new JournaldWriter(pair[0], ID, "n", null);
        String a = "a".repeat(8000);
        String c = "c".repeat(192);
        write(w, LogFormat.STDOUT, a);
        write(w, LogFormat.STDOUT, c); // exactly 8192 buffered: still fits
        assertEquals(0, receive().size());
        write(w, LogFormat.STDOUT, "d");
        List<Map<String, String>> e = entries();
        assertEquals(1, e.size());
        assertEquals(a + c + "d", e.get(0).get("MESSAGE"));
        assertEquals("true", e.get(0).get("CONTAINER_PARTIAL_MESSAGE"));
        write(w, LogFormat.STDOUT, "end\n");
        e = entries();
        assertEquals("end\n", e.get(0).get("MESSAGE"), "the buffer was emptied");
        assertFalse(e.get(0).containsKey("CONTAINER_PARTIAL_MESSAGE"));
        String big = "b".repeat(20000);
        write(w, LogFormat.STDOUT, big + "\n" + big);
        e = entries();
        assertEquals(2, e.size());
        assertEquals(big + "\n", e.get(0).get("MESSAGE"), "a long complete line is one entry");
        assertEquals(big, e.get(1).get("MESSAGE"));
        assertEquals("true", e.get(1).get("CONTAINER_PARTIAL_MESSAGE"));
    }

    /** A journal that does not read: entries are dropped and counted, never thrown or blocked on. */
    @Test
    void sendFailuresAreCountedNotThrown() {
        JournaldWriter w = new JournaldWriter(pair[0], ID, "n", null);
        for (int i = 0; i < 2000; i++) {
            write(w, LogFormat.STDOUT, "line " + i + " " + "x".repeat(1000) + "\n");
        }
        assertTrue(w.failures() > 0, "the socket filled up");
        assertEquals(2000, w.sent() + w.failures());
        List<Map<String, String>> e = entries();
        assertEquals(w.sent(), e.size());
        assertTrue(e.get(0).get("MESSAGE").startsWith("line 0 "));
        Native.close(pair[1]);
        pair[1] = -1;
        write(w, LogFormat.STDERR, "peer gone\n");
        assertEquals(2000 - w.sent() + 1, w.failures());
    }
}
