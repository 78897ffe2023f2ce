package io.jshim.daemon;

import io.jshim.nativeio.Native;

/**
 * Formatted log records on the Java heap. Records are built with array copies (the JIT turns
 * them into plain memory moves; per-call costs of direct-buffer bulk puts would dominate with
 * short lines) and reach the log fd straight from the array ({@link Native#writeArray}).
 */
final class LogBuffer {
    private byte[] buf;
    private int size;

    LogBuffer(int initialCapacity) {
        buf = new byte[Math.max(64, initialCapacity)];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    /** The index of the first {@code b} at or after {@code from}, or -1. */
    int indexOf(byte b, int from) {
        for (int i = Math.max(0, from); i < size; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** Makes room for n more bytes. */
    void ensure(int n) {
        if (buf.length - size < n) {
            long want = Math.max(2L * buf.length, (long) size + n);
            if (want > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("log buffer too large");
            }
            buf = java.util.Arrays.copyOf(buf, (int) want);
        }
    }

    void put(byte b) {
        ensure(1);
        buf[size++] = b;
    }

    void put(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, size, len);
        size += len;
    }

    /** Appends {@code prefix[0..prefixLen) text[off..off+len) '\n'}: one log record. */
    void putRecord(byte[] prefix, int prefixLen, byte[] text, int off, int len) {
        ensure(prefixLen + len + 1);
        byte[] b = buf;
        int at = size;
        System.arraycopy(prefix, 0, b, at, prefixLen);
        System.arraycopy(text, off, b, at + prefixLen, len);
        b[at + prefixLen + len] = '\n';
        size = at + prefixLen + len + 1;
    }

    /** write(2) of bytes [from, from+len) to fd: the count written, or -errno. */
    int writeTo(int fd, int from, int len) {
        return Native.writeArray(fd, buf, from, len);
    }

    /** Gives memory back once empty and grown past {@code keep} bytes. */
    void shrinkIfEmpty(int keep) {
        if (size == 0 && buf.length > keep) {
            buf = new byte[keep];
        }
    }

    /** The bytes, for tests. */
    byte[] toArray() {
        return java.util.Arrays.copyOf(buf, size);
    }
}
