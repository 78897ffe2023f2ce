package io.jshim.daemon;

import java.nio.ByteBuffer;

/**
 * shimmy's log records: the chunk is split on {@code \n}; every non-empty part becomes
 * {@code <rfc3339> stdout|stderr <text>\n}. The text is lossy UTF-8: each maximal invalid
 * subpart becomes U+FFFD, as Rust's {@code String::from_utf8_lossy} does. {@code \r} is kept.
 */
final class ShimmyLogFormat implements LogFormat {
    private static final byte[] STDOUT_TAG = {' ', 's', 't', 'd', 'o', 'u', 't', ' '};
    private static final byte[] STDERR_TAG = {' ', 's', 't', 'd', 'e', 'r', 'r', ' '};
    private static final byte R0 = (byte) 0xEF;
    private static final byte R1 = (byte) 0xBF;
    private static final byte R2 = (byte) 0xBD;

    /** "<ts> stdout " for the current chunk; reused, so no allocation per chunk or line. */
    private final byte[] prefix = new byte[Rfc3339.MAX_LENGTH + STDOUT_TAG.length];

    @Override
    public void format(ByteBuffer src, int pos, int len, int stream, long epochSecond, int nanos, ByteSink out) {
        int n = Rfc3339.format(epochSecond, nanos, prefix, 0);
        byte[] tag = stream == STDERR ? STDERR_TAG : STDOUT_TAG;
        System.arraycopy(tag, 0, prefix, n, tag.length);
        int prefixLen = n + tag.length;
        int end = pos + len;
        int i = pos;
        while (i < end) {
            int nl = i;
            while (nl < end && src.get(nl) != '\n') {
                nl++;
            }
            if (nl > i) {
                out.put(prefix, 0, prefixLen);
                appendLossy(src, i, nl, out);
                out.put((byte) '\n');
            }
            i = nl + 1;
        }
    }

    /** Appends src[from..to) as lossy UTF-8. */
    static void appendLossy(ByteBuffer src, int from, int to, ByteSink out) {
        int copyFrom = from;
        int i = from;
        while (i < to) {
            int b = src.get(i);
            if (b >= 0) {
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
            out.ensure(3);
            out.putUnchecked(R0);
            out.putUnchecked(R1);
            out.putUnchecked(R2);
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
    private static int validSequenceLength(ByteBuffer src, int i, int to) {
        int b0 = src.get(i) & 0xFF;
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
            int b = src.get(i + k) & 0xFF;
            if (b < lo || b > hi) {
                return -k;
            }
            lo = 0x80;
            hi = 0xBF;
        }
        return need + 1;
    }
}
