package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

@Tag("unit")
class StderrLogTest {
    @Test
    void oneLineWithUtcMillisecondsAndTheLevel() {
        assertEquals("2024-02-02T10:11:12.003Z WARN launcher gone\n",
                StderrLog.Line.format(1706868672_003L, Level.WARN, "launcher gone"));
        assertEquals("1970-01-01T00:00:00.000Z ERROR x\n", StderrLog.Line.format(0, Level.ERROR, "x"));
        assertEquals("1969-12-31T23:59:59.999Z INFO y\n", StderrLog.Line.format(-1, Level.INFO, "y"));
    }

    @Test
    void levelsFilter() {
        StderrLog.Line warn = new StderrLog.Line(StderrLog.threshold("warn"));
        assertTrue(warn.isErrorEnabled());
        assertTrue(warn.isWarnEnabled());
        assertFalse(warn.isInfoEnabled());
        StderrLog.Line trace = new StderrLog.Line(StderrLog.threshold("trace"));
        assertTrue(trace.isTraceEnabled());
        assertFalse(new StderrLog.Line(StderrLog.threshold(null)).isDebugEnabled(), "default info");
        assertTrue(new StderrLog.Line(StderrLog.threshold(null)).isInfoEnabled());
    }

    @Test
    void theTestJvmFindsTheBindingThroughItsServicesFile() {
        // nobody set slf4j.provider here: META-INF/services names StderrLog
        assertSame(StderrLog.Line.class, LoggerFactory.getLogger("any").getClass());
    }

    @Test
    void logLevelsOfTheCommandLine() {
        for (String l : new String[] {"error", "warn", "info", "debug", "trace"}) {
            assertTrue(Main.isLevel(l), l);
        }
        assertFalse(Main.isLevel("INFO"));
        assertFalse(Main.isLevel("info|warn"));
        assertFalse(Main.isLevel(""));
    }
}
