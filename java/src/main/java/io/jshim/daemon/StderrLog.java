package io.jshim.daemon;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * jshimd's slf4j binding: one line per event on stderr, {@code 2026-12-02T14:29:22.363Z INFO
 * text}, the time in UTC, then the stack trace of a throwable. It replaces slf4j-simple,
 * whose date format loaded the JDK's locale data (CLDR) and whose lookup through the
 * ServiceLoader read every jar's services: about a third of the daemon's start before its
 * socket listened (docs/DESIGN.md, "The daemon's JVM"). Main names this class in the
 * {@code slf4j.provider} property, so slf4j loads it directly; the services file still
 * finds it where nobody set the property (the tests' JVM). The level is
 * {@link #LEVEL_PROPERTY} (error, warn, info, debug, trace; default info), read once.
 */
public final class StderrLog implements SLF4JServiceProvider {
    public static final String LEVEL_PROPERTY = "jshim.log.level";

    private final Factory factory = new Factory();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    public StderrLog() {}

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        // nothing: the one logger is made on first use
    }

    /** The level's number: ERROR 40 ... TRACE 0, as slf4j's Level.toInt(). */
    static int threshold(String name) {
        if (name == null) {
            return Level.INFO.toInt();
        }
        switch (name) {
            case "error":
                return Level.ERROR.toInt();
            case "warn":
                return Level.WARN.toInt();
            case "debug":
                return Level.DEBUG.toInt();
            case "trace":
                return Level.TRACE.toInt();
            default:
                return Level.INFO.toInt();
        }
    }

    /** Every name gets the same logger: the name is not printed. */
    private static final class Factory implements ILoggerFactory {
        private volatile Line logger;

        @Override
        public Logger getLogger(String name) {
            Line l = logger;
            if (l == null) {
                synchronized (this) {
                    l = logger;
                    if (l == null) {
                        l = new Line(threshold(System.getProperty(LEVEL_PROPERTY)));
                        logger = l;
                    }
                }
            }
            return l;
        }
    }

    /** Formats and prints one event as one write to stderr. */
    static final class Line extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final int threshold;

        Line(int threshold) {
            this.threshold = threshold;
            this.name = "jshimd";
        }

        private boolean on(Level level) {
            return threshold <= level.toInt();
        }

        @Override
        public boolean isTraceEnabled() {
            return on(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return on(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return on(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return on(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return on(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                Throwable t) {
            String text = args == null || args.length == 0 ? pattern : MessageFormatter.basicArrayFormat(pattern, args);
            System.err.print(format(System.currentTimeMillis(), level, text));
            if (t != null) {
                t.printStackTrace(System.err);
            }
        }

        /** {@code 2026-12-02T14:29:22.363Z LEVEL text\n}. */
        static String format(long epochMillis, Level level, String text) {
            byte[] time = new byte[Rfc3339.DATE_TIME_LENGTH + 5];
            int p = Rfc3339.dateTime(Math.floorDiv(epochMillis, 1000L), time, 0);
            time[p++] = '.';
            p = Rfc3339.digits(Math.floorMod(epochMillis, 1000L), 3, time, p);
            time[p++] = 'Z';
            StringBuilder b = new StringBuilder(time.length + 7 + (text == null ? 4 : text.length()));
            for (int i = 0; i < p; i++) {
                b.append((char) time[i]);
            }
            return b.append(' ').append(level.name()).append(' ').append(text).append('\n').toString();
        }
    }
}
