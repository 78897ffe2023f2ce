package io.jshim.daemon;

/** Turns one output chunk into log records. Implementations must not allocate per line. */
interface LogFormat {
    int STDOUT = 1;
    int STDERR = 2;

    /**
     * Appends the records for chunk bytes src[pos..pos+len) of {@code stream} (STDOUT or
     * STDERR), read at the given UTC time, to {@code out}.
     */
    void format(byte[] src, int pos, int len, int stream, long epochSecond, int nanos, LogBuffer out);
}
