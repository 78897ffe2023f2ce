package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class Rfc3339Test {
    @Test
    void fractionDigitsLikeChronoAutoSi() {
        long t = 1706868672L;
        assertEquals("2024-02-02T10:11:12+00:00", Rfc3339.format(t, 0));
        assertEquals("2024-02-02T10:11:12.123+00:00", Rfc3339.format(t, 123_000_000));
        assertEquals("2024-02-02T10:11:12.100+00:00", Rfc3339.format(t, 100_000_000));
        assertEquals("2024-02-02T10:11:12.123456+00:00", Rfc3339.format(t, 123_456_000));
        assertEquals("2024-02-02T10:11:12.000001+00:00", Rfc3339.format(t, 1_000));
        assertEquals("2024-02-02T10:11:12.123456789+00:00", Rfc3339.format(t, 123_456_789));
        assertEquals("2024-02-02T10:11:12.000000001+00:00", Rfc3339.format(t, 1));
    }

    @Test
    void datesAgreeWithJavaTime() {
        long[] samples = {0L, 951782400L /* 2000-02-29 */, 1709164800L /* 2024-02-29 */,
            4102444799L /* 2099-12-31T23:59:59 */, 1234567890L, 86399L, 253402300799L};
        for (long s : samples) {
            String want = OffsetDateTime.ofInstant(java.time.Instant.ofEpochSecond(s), java.time.ZoneOffset.UTC)
                    .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")) + "+00:00";
            assertEquals(want, Rfc3339.format(s, 0), "epoch " + s);
        }
        for (long s = 0; s < 200L * 366 * 86400; s += 86400L * 7 + 3601) {
            String want = OffsetDateTime.ofInstant(java.time.Instant.ofEpochSecond(s), java.time.ZoneOffset.UTC)
                    .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")) + "+00:00";
            assertEquals(want, Rfc3339.format(s, 0), "epoch " + s);
        }
    }
}
