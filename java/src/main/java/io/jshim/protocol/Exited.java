package io.jshim.protocol;

/**
 * The reap of the container init, from EXITED or from a HELLO in state EXITED: the raw wait
 * status, JSHIM_EXIT_* flags and the CLOCK_REALTIME of the reap in ns (0 from a v1 launcher,
 * which does not send it: the daemon then uses the time it writes the exit file).
 */
public record Exited(int waitStatus, int flags, long timeNs) {
    public boolean timedOut() {
        return (flags & Protocol.EXIT_TIMED_OUT) != 0;
    }
}
