package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Polls a condition every 2 ms until it holds, failing after a deadline. */
final class Poll {
    private Poll() {}

    interface Check {
        boolean ok() throws Exception;
    }

    static void until(long timeoutMillis, Check c, String what) throws Exception {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!c.ok()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(2);
        }
    }
}
