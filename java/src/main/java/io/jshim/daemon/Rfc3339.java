package io.jshim.daemon;

/**
 * RFC 3339 UTC timestamps the way chrono's {@code to_rfc3339()} prints them:
 * {@code 2024-02-02T10:11:12.123456789+00:00}, the fraction with 0, 3, 6 or 9 digits
 * (none when zero, 3 for a whole millisecond, 6 for a whole microsecond, else 9).
 */
final class Rfc3339 {
    private Rfc3339() {}

    /** Longest output: 19 + 1 + 9 + 6. */
    static final int MAX_LENGTH = 35;

    /** Length of {@code YYYY-MM-DDTHH:MM:SS}. */
    static final int DATE_TIME_LENGTH = 19;

    /** Writes the timestamp into dst[off..]; returns the number of bytes written. */
    static int format(long epochSecond, int nanos, byte[] dst, int off) {
        int p = dateTime(epochSecond, dst, off);
        if (nanos != 0) {
            dst[p++] = '.';
            if (nanos % 1_000_000 == 0) {
                p = digits(nanos / 1_000_000, 3, dst, p);
            } else if (nanos % 1_000 == 0) {
                p = digits(nanos / 1_000, 6, dst, p);
            } else {
                p = digits(nanos, 9, dst, p);
            }
        }
        dst[p++] = '+';
        dst[p++] = '0';
        dst[p++] = '0';
        dst[p++] = ':';
        dst[p++] = '0';
        dst[p++] = '0';
        return p - off;
    }

    /**
     * Writes {@code YYYY-MM-DDTHH:MM:SS} for the given second (UTC, or a local time already
     * shifted by its offset) into dst[off..]; returns off + DATE_TIME_LENGTH.
     */
    static int dateTime(long epochSecond, byte[] dst, int off) {
        long days = Math.floorDiv(epochSecond, 86400L);
        int secOfDay = (int) Math.floorMod(epochSecond, 86400L);
        // civil date from days since 1970-01-01 (proleptic Gregorian, 400-year eras)
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        int p = off;
        p = digits(year, 4, dst, p);
        dst[p++] = '-';
        p = digits(month, 2, dst, p);
        dst[p++] = '-';
        p = digits(day, 2, dst, p);
        dst[p++] = 'T';
        p = digits(secOfDay / 3600, 2, dst, p);
        dst[p++] = ':';
        p = digits(secOfDay / 60 % 60, 2, dst, p);
        dst[p++] = ':';
        p = digits(secOfDay % 60, 2, dst, p);
        return p;
    }

    /** Convenience for exit files and tests. */
    static String format(long epochSecond, int nanos) {
        byte[] b = new byte[MAX_LENGTH];
        int n = format(epochSecond, nanos, b, 0);
        return new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** {@code width} decimal digits of value, zero-padded, at dst[p..]; returns p + width. */
    static int digits(long value, int width, byte[] dst, int p) {
        for (int i = width - 1; i >= 0; i--) {
            dst[p + i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return p + width;
    }
}
