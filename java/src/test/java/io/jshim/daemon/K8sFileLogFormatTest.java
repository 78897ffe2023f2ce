package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class K8sFileLogFormatTest {
    private static final long T = 1706868672L; // 2024-02-02T10:11:12Z
    private static final String TS = "2024-02-02T10:11:12.123456789+00:00";
    private static final int NS = 123456789;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Formats one chunk placed at a non-zero offset of a bigger array. */
    private static String format(K8sFileLogFormat f, String chunk, int stream, long sec, int ns) {
        byte[] c = b(chunk);
        byte[] src = new byte[c.length + 5];
        Arrays.fill(src, (byte) '\n'); // bytes outside the chunk must not be read
        System.arraycopy(c, 0, src, 3, c.length);
        LogBuffer out = new LogBuffer(16);
        f.format(src, 3, c.length, stream, sec, ns, out);
        return s(out.toArray());
    }

    private static String utc(String chunk, int stream) {
        return format(new K8sFileLogFormat(ZoneOffset.UTC), chunk, stream, T, NS);
    }

    @Test
    void completeLinesAreFRecords() {
        assertEquals(TS + " stdout F out1\n", utc("out1\n", LogFormat.STDOUT));
        assertEquals(TS + " stderr F err1\n" + TS + " stderr F err2\n", utc("err1\nerr2\n", LogFormat.STDERR));
    }

    @Test
    void trailingFragmentIsAPRecordWithANewlineAdded() {
        assertEquals(TS + " stdout P partial-no-newline\n", utc("partial-no-newline", LogFormat.STDOUT));
        assertEquals(TS + " stdout F a\n" + TS + " stdout F b\n" + TS + " stdout P c\n",
                utc("a\nb\nc", LogFormat.STDOUT));
        // the next chunk starts a new record: nothing is carried over
        assertEquals(TS + " stdout F  end\n", utc(" end\n", LogFormat.STDOUT));
    }

    @Test
    void emptyLinesAreFRecordsWithEmptyContent() {
        assertEquals(TS + " stdout F \n", utc("\n", LogFormat.STDOUT));
        assertEquals(TS + " stdout F a\n" + TS + " stdout F \n" + TS + " stdout F \n" + TS + " stdout F b\n",
                utc("a\n\n\nb\n", LogFormat.STDOUT));
        assertEquals(TS + " stderr F \n" + TS + " stderr P x\n", utc("\nx", LogFormat.STDERR));
        assertEquals("", utc("", LogFormat.STDOUT));
    }

    @Test
    void contentIsRawBytes() {
        String raw = "a\r\u00ff\u0080\u0000\t \u001b[J";
        assertEquals(TS + " stdout F " + raw + "\n" + TS + " stdout P \r\n", utc(raw + "\n\r", LogFormat.STDOUT));
    }

    @Test
    void prefixIs45Bytes() {
        String rec = utc("x\n", LogFormat.STDOUT);
        assertEquals(K8sFileLogFormat.PREFIX_LENGTH + 2, rec.length());
        assertEquals(45, K8sFileLogFormat.PREFIX_LENGTH);
    }

    /** conmon-protocol.md 5.2: a 20000-byte line read as 8192 + 8192 + 3617 bytes. */
    @Test
    void longLineGivenAsChunks() {
        byte[] line = new byte[20001];
        for (int i = 0; i < 20000; i++) {
            line[i] = (byte) ('a' + i % 26);
        }
        line[20000] = '\n';
        K8sFileLogFormat f = new K8sFileLogFormat(ZoneOffset.UTC);
        LogBuffer out = new LogBuffer(16);
        int[] sizes = {8192, 8192, 3617};
        int at = 0;
        for (int n : sizes) {
            f.format(line, at, n, LogFormat.STDOUT, T, NS, out);
            at += n;
        }
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(b(TS + " stdout P "));
        want.write(line, 0, 8192);
        want.write('\n');
        want.writeBytes(b(TS + " stdout P "));
        want.write(line, 8192, 8192);
        want.write('\n');
        want.writeBytes(b(TS + " stdout F "));
        want.write(line, 16384, 3616);
        want.write('\n');
        assertArrayEquals(want.toByteArray(), out.toArray());
    }

    @Test
    void alwaysNineFractionDigits() {
        K8sFileLogFormat f = new K8sFileLogFormat(ZoneOffset.UTC);
        assertEquals("2024-02-02T10:11:12.000000000+00:00", f.timestamp(T, 0));
        assertEquals("2024-02-02T10:11:12.100000000+00:00", f.timestamp(T, 100_000_000));
        assertEquals("2024-02-02T10:11:12.000000001+00:00", f.timestamp(T, 1));
        assertEquals("2024-02-02T10:11:13.999999999+00:00", f.timestamp(T + 1, 999_999_999));
        assertEquals("1970-01-01T00:00:00.000000000+00:00", f.timestamp(0, 0));
    }

    @Test
    void localTimeWithNumericOffsets() {
        assertEquals("2024-02-02T15:41:12.123456789+05:30",
                new K8sFileLogFormat(ZoneId.of("Asia/Kolkata")).timestamp(T, NS));
        assertEquals("2024-02-02T06:41:12.123456789-03:30",
                new K8sFileLogFormat(ZoneId.of("America/St_Johns")).timestamp(T, NS));
        assertEquals("2024-02-02T05:11:12.123456789-05:00",
                new K8sFileLogFormat(ZoneId.of("America/New_York")).timestamp(T, NS));
        assertEquals("2024-02-01T20:11:12.000000007-14:00",
                new K8sFileLogFormat(ZoneOffset.ofHours(-14)).timestamp(T, 7));
        // a record across midnight of the local date
        assertEquals("2024-02-03T00:11:12.123456789+14:00",
                format(new K8sFileLogFormat(ZoneId.of("Pacific/Kiritimati")), "x\n", LogFormat.STDOUT, T, NS)
                        .substring(0, 35));
    }

    /** The cached offset follows daylight-saving transitions, both ways, and a clock stepped back. */
    @Test
    void offsetFollowsTransitions() {
        ZoneId ny = ZoneId.of("America/New_York");
        long spring = Instant.parse("2024-03-10T07:00:00Z").getEpochSecond(); // 02:00 EST -> 03:00 EDT
        long fall = Instant.parse("2024-11-03T06:00:00Z").getEpochSecond(); // 02:00 EDT -> 01:00 EST
        K8sFileLogFormat f = new K8sFileLogFormat(ny);
        assertEquals("2024-03-10T01:59:59.000000000-05:00", f.timestamp(spring - 1, 0));
        assertEquals("2024-03-10T03:00:00.000000000-04:00", f.timestamp(spring, 0));
        assertEquals("2024-11-03T01:59:59.500000000-04:00", f.timestamp(fall - 1, 500_000_000));
        assertEquals("2024-11-03T01:00:00.000000000-05:00", f.timestamp(fall, 0));
        assertEquals("2024-03-10T01:59:59.000000000-05:00", f.timestamp(spring - 1, 0)); // stepped back
        assertEquals("2024-03-10T03:00:00.000000000-04:00", f.timestamp(spring, 0));
    }

    /** Agrees with java.time for random instants in several zones, with one reused formatter each. */
    @Test
    void agreesWithJavaTime() {
        DateTimeFormatter iso = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSxxx");
        Random r = new Random(42);
        for (String zone : new String[] {"UTC", "Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe",
            "Asia/Kathmandu", "America/Sao_Paulo"}) {
            ZoneId z = ZoneId.of(zone);
            K8sFileLogFormat f = new K8sFileLogFormat(z);
            long sec = 1_600_000_000L;
            for (int i = 0; i < 5000; i++) {
                sec += r.nextInt(20_000) - 2_000; // mostly forward, sometimes back
                int ns = r.nextInt(1_000_000_000);
                String want = Instant.ofEpochSecond(sec, ns).atZone(z).format(iso);
                assertEquals(want, f.timestamp(sec, ns), zone + " at " + sec);
            }
        }
    }

    @Test
    void streamNamePerChunk() {
        K8sFileLogFormat f = new K8sFileLogFormat(ZoneOffset.UTC);
        assertEquals(TS + " stderr F e\n", format(f, "e\n", LogFormat.STDERR, T, NS));
        assertEquals(TS + " stdout P o\n", format(f, "o", LogFormat.STDOUT, T, NS));
        assertEquals(TS + " stderr F e\n", format(f, "e\n", LogFormat.STDERR, T, NS));
    }
}
