package io.jshim.e2e;

import java.util.function.BooleanSupplier;

/** Polling helpers. */
final class Wait {
    private Wait() {}

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Polls every 10 ms; true once the condition holds, false after the timeout. */
    static boolean until(long timeoutMs, BooleanSupplier condition) {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            sleep(10);
        }
        return true;
    }
}
