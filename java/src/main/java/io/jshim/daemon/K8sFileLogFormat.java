package io.jshim.daemon;

import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;

/**
 * conmon's k8s-file records (conmon-protocol.md 5.2), byte for byte. The chunk is split at
 * every {@code \n}: each complete line becomes {@code <ts> stdout|stderr F <line>\n} (an empty
 * line gives an F record with empty content), a trailing fragment becomes
 * {@code <ts> stdout|stderr P <fragment>\n}. Nothing is carried over to the next chunk, and
 * every record of one chunk has the same timestamp: local time
 * {@code YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM}, always 9 fraction digits and a numeric offset
 * (seconds of an offset are dropped, as conmon's hours/minutes split of tm_gmtoff does).
 * Content is copied raw. No allocation per chunk or line; the zone's offset is looked up
 * again only when the second leaves the span where the cached offset holds.
 */
final class K8sFileLogFormat implements LogFormat {
    /** {@code YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM}. */
    static final int TIMESTAMP_LENGTH = 35;
    private static final int NANOS_AT = Rfc3339.DATE_TIME_LENGTH + 1;
    private static final int OFFSET_AT = NANOS_AT + 9;
    private static final int STREAM_AT = TIMESTAMP_LENGTH + 1;
    private static final int TAG_AT = STREAM_AT + 7;
    /** "<ts> stdout F ": 45 bytes, conmon's per-record overhead with the newline. */
    static final int PREFIX_LENGTH = TAG_AT + 2;
    private static final byte[] STDOUT_NAME = {'s', 't', 'd', 'o', 'u', 't'};
    private static final byte[] STDERR_NAME = {'s', 't', 'd', 'e', 'r', 'r'};

    private final ZoneRules rules;
    /** The record prefix of the current chunk; only the changed parts are rewritten. */
    private final byte[] prefix = new byte[PREFIX_LENGTH];
    /** The second whose local date and time are in prefix[0..19). */
    private long second = Long.MIN_VALUE;
    /** The offset in seconds east of UTC, valid for seconds in [offsetFrom, offsetUntil). */
    private int offset;
    private long offsetFrom = Long.MAX_VALUE;
    private long offsetUntil = Long.MIN_VALUE;

    /** Local time in the JVM's default zone, as conmon's localtime_r. */
    K8sFileLogFormat() {
        this(ZoneId.systemDefault());
    }

    /** For tests: local time in {@code zone}. */
    K8sFileLogFormat(ZoneId zone) {
        this.rules = zone.getRules();
        prefix[NANOS_AT - 1] = '.';
        prefix[TIMESTAMP_LENGTH] = ' ';
        prefix[TAG_AT - 1] = ' ';
        prefix[TAG_AT + 1] = ' ';
    }

    @Override
    public void format(byte[] src, int pos, int len, int stream, long epochSecond, int nanos, LogBuffer out) {
        if (len <= 0) {
            return;
        }
        setTime(epochSecond, nanos);
        System.arraycopy(stream == STDERR ? STDERR_NAME : STDOUT_NAME, 0, prefix, STREAM_AT, 6);
        prefix[TAG_AT] = 'F';
        int end = pos + len;
        int i = pos;
        while (i < end) {
            int nl = ShimmyLogFormat.indexOfNewline(src, i, end);
            if (nl == end) {
                prefix[TAG_AT] = 'P';
                out.putRecord(prefix, PREFIX_LENGTH, src, i, end - i);
                return;
            }
            out.putRecord(prefix, PREFIX_LENGTH, src, i, nl - i);
            i = nl + 1;
        }
    }

    /** The timestamp alone, for tests. */
    String timestamp(long epochSecond, int nanos) {
        setTime(epochSecond, nanos);
        return new String(prefix, 0, TIMESTAMP_LENGTH, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private void setTime(long epochSecond, int nanos) {
        if (epochSecond != second) {
            if (epochSecond < offsetFrom || epochSecond >= offsetUntil) {
                lookUpOffset(epochSecond);
            }
            Rfc3339.dateTime(epochSecond + offset, prefix, 0);
            second = epochSecond;
        }
        Rfc3339.digits(nanos, 9, prefix, NANOS_AT);
    }

    /** Allocates: runs once per zone transition (or when the clock steps back). */
    private void lookUpOffset(long epochSecond) {
        Instant at = Instant.ofEpochSecond(epochSecond);
        offset = rules.getOffset(at).getTotalSeconds();
        ZoneOffsetTransition next = rules.nextTransition(at);
        offsetFrom = epochSecond;
        offsetUntil = next == null ? Long.MAX_VALUE : next.toEpochSecond();
        int abs = Math.abs(offset);
        prefix[OFFSET_AT] = (byte) (offset < 0 ? '-' : '+');
        Rfc3339.digits(abs / 3600, 2, prefix, OFFSET_AT + 1);
        prefix[OFFSET_AT + 3] = ':';
        Rfc3339.digits(abs % 3600 / 60, 2, prefix, OFFSET_AT + 4);
    }
}
