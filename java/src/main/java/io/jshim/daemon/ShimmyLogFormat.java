package io.jshim.daemon;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * shimmy's log records: the chunk is split on {@code \n}; every non-empty part becomes
 * {@code <rfc3339> stdout|stderr <text>\n}. The text is lossy UTF-8: each maximal invalid
 * subpart becomes U+FFFD, as Rust's {@code String::from_utf8_lossy} does. {@code \r} is kept.
 */
final class ShimmyLogFormat implements LogFormat {
    private static final byte[] STDOUT_TAG = {' ', 's', 't', 'd', 'o', 'u', 't', ' '};
    private static final byte[] STDERR_TAG = {' ', 's', 't', 'd', 'e', 'r', 'r', ' '};
    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD}; // U+FFFD

    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    /** 8-byte little-endian loads from a byte[], for the newline scan. */
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** "<ts> stdout " for the current chunk; reused, so no allocation per chunk or line. */
    private final byte[] prefix = new byte[Rfc3339.MAX_LENGTH + STDOUT_TAG.length];

    @Override
    public void format(byte[] src, int pos, int len, int stream, long epochSecond, int nanos, LogBuffer out) {
        int n = Rfc3339.format(epochSecond, nanos, prefix, 0);
        byte[] tag = stream == STDERR ? STDERR_TAG : STDOUT_TAG;
        System.arraycopy(tag, 0, prefix, n, tag.length);
        int prefixLen = n + tag.length;
        int end = pos + len;
        // The common case, ASCII: one pass finds the newlines, emits one bulk copy per record and
        // collects the high bits; if any byte was >= 0x80, the records are dropped and the chunk
        // is done again with UTF-8 decoding.
        int mark = out.size();
        long high = 0;
        int lineStart = pos;
        int i = pos;
        while (i + 8 <= end) {
            long w = (long) LONG_LE.get(src, i);
            high |= w;
            long y = w ^ NEWLINES;
            long m = (y - ONES) & ~y & HIGH_BITS; // exact for the lowest (first) match
            if (m == 0) {
                i += 8;
                continue;
            }
            int nl = i + (Long.numberOfTrailingZeros(m) >>> 3);
            if (nl > lineStart) {
                out.putRecord(prefix, prefixLen, src, lineStart, nl - lineStart);
            }
            lineStart = nl + 1;
            i = nl + 1;
        }
        for (; i < end; i++) {
            byte b = src[i];
            high |= b;
            if (b == '\n') {
                if (i > lineStart) {
                    out.putRecord(prefix, prefixLen, src, lineStart, i - lineStart);
                }
                lineStart = i + 1;
            }
        }
        if (end > lineStart) {
            out.putRecord(prefix, prefixLen, src, lineStart, end - lineStart);
        }
        if ((high & HIGH_BITS) == 0) {
            return;
        }
        out.truncate(mark);
        for (i = pos; i < end; ) {
            int nl = indexOfNewline(src, i, end);
            if (nl > i) {
                out.put(prefix, 0, prefixLen);
                appendLossy(src, i, nl, out);
                out.put((byte) '\n');
            }
            i = nl + 1;
        }
    }

    /** True when src[from..to) has no byte >= 0x80. */
    static boolean isAscii(byte[] src, int from, int to) {
        long high = 0;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            high |= (long) LONG_LE.get(src, i);
        }
        for (; i < to; i++) {
            high |= src[i];
        }
        return (high & HIGH_BITS) == 0;
    }

    /** The index of the first '\n' in src[from..to), or {@code to}; 8 bytes at a time. */
    static int indexOfNewline(byte[] src, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long y = (long) LONG_LE.get(src, i) ^ NEWLINES;
            long m = (y - ONES) & ~y & HIGH_BITS; // exact for the lowest (first) match
            if (m != 0) {
                return i + (Long.numberOfTrailingZeros(m) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (src[i] == '\n') {
                return i;
            }
        }
        return to;
    }

    /** Appends src[from..to) as lossy UTF-8. */
    static void appendLossy(byte[] src, int from, int to, LogBuffer out) {
        int copyFrom = from;
        int i = from;
        while (i < to) {
            if (src[i] >= 0) {
                i++;
                continue;
            }
            int valid = validSequenceLength(src, i, to);
            if (valid > 0) {
                i += valid;
                continue;
            }
            int bad = -valid; // length of the maximal invalid subpart, >= 1
            if (i > copyFrom) {
                out.put(src, copyFrom, i - copyFrom);
            }
            out.put(REPLACEMENT, 0, 3);
            i += bad;
            copyFrom = i;
        }
        if (to > copyFrom) {
            out.put(src, copyFrom, to - copyFrom);
        }
    }

    /**
     * For a non-ASCII lead byte at i: the length of the valid sequence there (> 0), or minus
     * the length of the maximal invalid subpart to replace with one U+FFFD (< 0).
     */
    private static int validSequenceLength(byte[] src, int i, int to) {
        int b0 = src[i] & 0xFF;
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) {
                lo = 0xA0; // no overlong 3-byte forms
            } else if (b0 == 0xED) {
                hi = 0x9F; // no surrogates
            }
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) {
                lo = 0x90; // no overlong 4-byte forms
            } else if (b0 == 0xF4) {
                hi = 0x8F; // nothing above U+10FFFF
            }
        } else {
            return -1; // continuation byte, C0, C1 or F5..FF
        }
        for (int k = 1; k <= need; k++) {
            if (i + k >= to) {
                return -k; // truncated sequence
            }
            int b = src[i + k] & 0xFF;
            if (b < lo || b > hi) {
                return -k;
            }
            lo = 0x80;
            hi = 0xBF;
        }
        return need + 1;
    }
}
