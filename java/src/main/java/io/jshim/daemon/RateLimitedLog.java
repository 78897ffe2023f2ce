package io.jshim.daemon;

/**
 * One warning per {@link #PERIOD_MS} for a kind of event a peer can cause at will (refused
 * connections, connections over the cap, silent connections): the first is logged at once, the
 * rest are counted and summed up in the next line, so a flood cannot fill the daemon's log.
 * Loop thread only.
 */
final class RateLimitedLog {
    static final long PERIOD_MS = 10_000;

    private final String what;
    private long lastNs;
    private boolean logged;
    private long suppressed;

    /** {@code what} names the event in the summary, e.g. "refused connections". */
    RateLimitedLog(String what) {
        this.what = what;
    }

    /** Logs the message (slf4j pattern and arguments) unless one was logged in the last period. */
    void warn(String format, Object... args) {
        long now = System.nanoTime();
        if (logged && now - lastNs < PERIOD_MS * 1_000_000L) {
            suppressed++;
            return;
        }
        if (suppressed > 0) {
            Daemon.LOG.warn("{} more {} in the last {} s (not logged one by one)", suppressed, what,
                    (now - lastNs) / 1_000_000_000L);
            suppressed = 0;
        }
        Daemon.LOG.warn(format, args);
        logged = true;
        lastNs = now;
    }

    /** Events counted but not logged since the last line. */
    long suppressed() {
        return suppressed;
    }
}
