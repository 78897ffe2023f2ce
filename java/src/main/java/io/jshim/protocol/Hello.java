package io.jshim.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decoded HELLO of either version: struct jshim_hello (v1) or struct jshim_hello2 (v2) and
 * their strings. The fds travel separately. Fields that a version does not have are 0, null
 * or empty: v1 has the three paths, v2 the session id, exit details, formats and the names.
 * The log and exit names are bytes (never decoded: they go to openat as they are); the id,
 * name and tag are decoded leniently, for messages and journald only. {@code attachTokens} are
 * the tokens of the attach clients a v2 launcher hands over (JSHIM_HELLO_ATTACH_CLIENTS), whose
 * fds come last, in the same order.
 */
public record Hello(
        int version,
        int flags,
        int state,
        int launcherPid,
        int containerPid,
        int waitStatus,
        int exitFlags,
        long exitTimeNs,
        long sessionId,
        long logSizeMax,
        long logGlobalSizeMax,
        int logFormat,
        int exitFormat,
        int attachFormat,
        int nfds,
        String containerId,
        String name,
        String logPath,
        String exitPath,
        String attachPath,
        byte[] logName,
        byte[] exitName,
        String logTag,
        int[] attachTokens) {

    private static final byte[] NONE = new byte[0];
    private static final int[] NO_TOKENS = new int[0];

    public Hello {
        logName = logName == null ? NONE : logName;
        exitName = exitName == null ? NONE : exitName;
        name = name == null ? "" : name;
        logTag = logTag == null ? "" : logTag;
        attachTokens = attachTokens == null ? NO_TOKENS : attachTokens.clone();
    }

    /** A version 1 HELLO (the 0.1.0 launcher): paths, shimmy formats. */
    public Hello(int flags, int state, int launcherPid, int containerPid, int waitStatus, int logFormat,
            int exitFormat, int nfds, String containerId, String logPath, String exitPath, String attachPath) {
        this(1, flags, state, launcherPid, containerPid, waitStatus, 0, 0, 0, 0, 0, logFormat, exitFormat, 0, nfds,
                containerId, "", logPath, exitPath, attachPath, NONE, NONE, "", null);
    }

    /** A version 2 HELLO. */
    public static Hello v2(int flags, int state, int launcherPid, int containerPid, int waitStatus, int exitFlags,
            long exitTimeNs, long sessionId, long logSizeMax, int logFormat, int exitFormat, int attachFormat,
            int nfds, String containerId, String name, byte[] logName, byte[] exitName, String logTag) {
        return new Hello(2, flags, state, launcherPid, containerPid, waitStatus, exitFlags, exitTimeNs, sessionId,
                logSizeMax, 0, logFormat, exitFormat, attachFormat, nfds, containerId, name, null, null, null,
                logName, exitName, logTag, null);
    }

    /** This v2 HELLO with log_global_size_max set (0 = no cap; negative, a u64 past 2^63: no cap). */
    public Hello withLogGlobalSizeMax(long max) {
        return new Hello(version, flags, state, launcherPid, containerPid, waitStatus, exitFlags, exitTimeNs,
                sessionId, logSizeMax, max, logFormat, exitFormat, attachFormat, nfds, containerId, name, logPath,
                exitPath, attachPath, logName, exitName, logTag, attachTokens);
    }

    /**
     * This v2 HELLO handing over attach clients: their tokens, in the order of their fds, which
     * follow the others. Sets JSHIM_HELLO_ATTACH_CLIENTS and adds them to nfds (none: unchanged).
     */
    public Hello withAttachClients(int[] tokens) {
        if (tokens.length == 0) {
            return this;
        }
        return new Hello(version, flags | Protocol.HELLO_ATTACH_CLIENTS, state, launcherPid, containerPid, waitStatus,
                exitFlags, exitTimeNs, sessionId, logSizeMax, logGlobalSizeMax, logFormat, exitFormat, attachFormat,
                nfds + tokens.length, containerId, name, logPath, exitPath, attachPath, logName, exitName, logTag,
                tokens);
    }

    /** The decoder's: tokens as decoded, flags and nfds unchanged (null: none). */
    Hello withTokens(int[] tokens) {
        if (tokens == null) {
            return this;
        }
        return new Hello(version, flags, state, launcherPid, containerPid, waitStatus, exitFlags, exitTimeNs, sessionId,
                logSizeMax, logGlobalSizeMax, logFormat, exitFormat, attachFormat, nfds, containerId, name, logPath,
                exitPath, attachPath, logName, exitName, logTag, tokens);
    }

    @Override
    public int[] attachTokens() {
        return attachTokens.clone();
    }

    /** The number of attach clients handed over. */
    public int attachClientCount() {
        return attachTokens.length;
    }

    /** fd index of the i-th handed-over attach client: after every other fd. */
    public int attachClientFd(int i) {
        return expectedFds(version, flags) + i;
    }

    public boolean hasStdin() {
        return (flags & Protocol.HELLO_STDIN) != 0;
    }

    public boolean stdinOnce() {
        return (flags & Protocol.HELLO_STDIN_ONCE) != 0;
    }

    public boolean exited() {
        return state == Protocol.STATE_EXITED;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** v1 always has a log file (a path); v2 only with JSHIM_HELLO_LOG_FILE. */
    public boolean hasLogFile() {
        return version == 1 || hasFlag(Protocol.HELLO_LOG_FILE);
    }

    /** v1 always has an attach socket (a path); v2 only with JSHIM_HELLO_ATTACH. */
    public boolean hasAttach() {
        return version == 1 || hasFlag(Protocol.HELLO_ATTACH);
    }

    /**
     * The daemon's key for this launcher: the session id (v2), else the container id and the
     * launcher pid (v1), so two launchers with one container id never replace each other.
     */
    public String key() {
        return version == 1 ? "v1:" + launcherPid + ":" + containerId : "v2:" + Long.toUnsignedString(sessionId, 16);
    }

    /** fd index of the exit dir (v2), -1 for v1 (a path). */
    public int exitDirFd() {
        return version == 1 ? -1 : Protocol.FD_EXIT_DIR;
    }

    /** fd index of the stdin write end, or -1 without JSHIM_HELLO_STDIN. */
    public int stdinFd() {
        if (!hasStdin()) {
            return -1;
        }
        return version == 1 ? Protocol.FD_STDIN : Protocol.FD_EXIT_DIR + 1;
    }

    /** v2: fd index of the log dir, or -1. */
    public int logDirFd() {
        return optionalFd(Protocol.HELLO_LOG_FILE);
    }

    /** v2: fd index of the attach listener, or -1. */
    public int attachFd() {
        return optionalFd(Protocol.HELLO_ATTACH);
    }

    /** v2: fd index of the journald socket, or -1. */
    public int journaldFd() {
        return optionalFd(Protocol.HELLO_LOG_JOURNALD);
    }

    /** v2 order after the exit dir: stdin, log dir, attach listener, journald socket. */
    private int optionalFd(int flag) {
        if (version == 1 || !hasFlag(flag)) {
            return -1;
        }
        int i = Protocol.FD_EXIT_DIR + 1;
        for (int f : new int[] {Protocol.HELLO_STDIN, Protocol.HELLO_LOG_FILE, Protocol.HELLO_ATTACH,
            Protocol.HELLO_LOG_JOURNALD}) {
            if (f == flag) {
                return i;
            }
            if (hasFlag(f)) {
                i++;
            }
        }
        throw new IllegalArgumentException("not an fd flag: " + flag);
    }

    /** The number of fds a HELLO of this version and these flags carries. */
    public static int expectedFds(int version, int flags) {
        if (version == 1) {
            return 5 + ((flags & Protocol.HELLO_STDIN) != 0 ? 1 : 0);
        }
        return 6 + Integer.bitCount(flags & (Protocol.HELLO_STDIN | Protocol.HELLO_LOG_FILE | Protocol.HELLO_ATTACH
                | Protocol.HELLO_LOG_JOURNALD));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hello h && version == h.version && flags == h.flags && state == h.state
                && launcherPid == h.launcherPid && containerPid == h.containerPid && waitStatus == h.waitStatus
                && exitFlags == h.exitFlags && exitTimeNs == h.exitTimeNs && sessionId == h.sessionId
                && logSizeMax == h.logSizeMax && logGlobalSizeMax == h.logGlobalSizeMax && logFormat == h.logFormat
                && exitFormat == h.exitFormat
                && attachFormat == h.attachFormat && nfds == h.nfds && Objects.equals(containerId, h.containerId)
                && name.equals(h.name) && Objects.equals(logPath, h.logPath) && Objects.equals(exitPath, h.exitPath)
                && Objects.equals(attachPath, h.attachPath) && Arrays.equals(logName, h.logName)
                && Arrays.equals(exitName, h.exitName) && logTag.equals(h.logTag)
                && Arrays.equals(attachTokens, h.attachTokens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, flags, sessionId, containerId, launcherPid, Arrays.hashCode(logName),
                Arrays.hashCode(exitName));
    }

    @Override
    public String toString() {
        return "Hello[v" + version + " " + containerId + " flags 0x" + Integer.toHexString(flags) + " launcher "
                + launcherPid + (version == 1 ? "" : " session " + Long.toUnsignedString(sessionId, 16)) + "]";
    }
}
