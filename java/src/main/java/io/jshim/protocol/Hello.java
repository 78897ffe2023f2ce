package io.jshim.protocol;

/** A decoded HELLO: struct jshim_hello and its four strings. The fds travel separately. */
public record Hello(
        int flags,
        int state,
        int launcherPid,
        int containerPid,
        int waitStatus,
        int logFormat,
        int exitFormat,
        int nfds,
        String containerId,
        String logPath,
        String exitPath,
        String attachPath) {

    public boolean hasStdin() {
        return (flags & Protocol.HELLO_STDIN) != 0;
    }

    public boolean stdinOnce() {
        return (flags & Protocol.HELLO_STDIN_ONCE) != 0;
    }

    public boolean exited() {
        return state == Protocol.STATE_EXITED;
    }
}
