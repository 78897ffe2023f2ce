package io.jshim.daemon;

import io.jshim.nativeio.Native;

/**
 * Formatted log records on the Java heap. Records are built with array copies (the JIT turns
 * them into plain memory moves; per-call costs of direct-buffer bulk puts would dominate with
 * short lines) and reach the log fd through a per-thread direct buffer ({@link #writeTo}).
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

    /** Drops everything after the first {@code newSize} bytes. */
    void truncate(int newSize) {
        size = Math.min(size, Math.max(0, newSize));
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

    /** Appends one attach frame for later: {@code [stream][len, 4 bytes BE][chunk[off..off+len)]}. */
    void putFrame(int stream, byte[] chunk, int off, int len) {
        ensure(5 + len);
        byte[] b = buf;
        int at = size;
        b[at] = (byte) stream;
        b[at + 1] = (byte) (len >>> 24);
        b[at + 2] = (byte) (len >>> 16);
        b[at + 3] = (byte) (len >>> 8);
        b[at + 4] = (byte) len;
        System.arraycopy(chunk, off, b, at + 5, len);
        size = at + 5 + len;
    }

    /** Sends every frame appended by {@link #putFrame} to the attach clients, in order, and empties. */
    void broadcastFrames(AttachServer attach) {
        byte[] b = buf;
        for (int at = 0; at + 5 <= size; ) {
            int len = (b[at + 1] & 0xff) << 24 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 8 | (b[at + 4] & 0xff);
            attach.broadcastChunk(b[at], b, at + 5, len);
            at += 5 + len;
        }
        size = 0;
    }

    /**
     * write(2) of bytes [from, from+len) to fd, at most {@link IoScratch#BOUNCE} of them: the
     * count written, or -errno. Through the thread's direct bounce buffer, not a pinned array
     * ({@link Native#writeArray} holds a JNI critical region, which stops every GC, and so the
     * whole daemon, for as long as a write to a stuck log blocks).
     */
    int writeTo(int fd, int from, int len) {
        java.nio.ByteBuffer bounce = IoScratch.get().bounce;
        int n = Math.min(len, bounce.capacity());
        bounce.put(0, buf, from, n);
        return Native.write(fd, bounce, 0, n);
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
