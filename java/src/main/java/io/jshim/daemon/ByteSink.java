package io.jshim.daemon;

import java.nio.ByteBuffer;

/**
 * A growable direct byte buffer used as a FIFO: bytes are appended at {@link #end()} and
 * consumed from {@link #start()}. Used for formatted log records, attach backlogs and the
 * stdin queue. Not thread-safe (loop thread only).
 */
final class ByteSink {
    private static final int MIN_CAPACITY = 4096;
    private final int maxCapacity;
    private ByteBuffer buf;
    private int start;
    private int end;

    ByteSink(int initialCapacity) {
        this(initialCapacity, Integer.MAX_VALUE - 8);
    }

    /**
     * A sink that never holds more than {@code maxCapacity} bytes of direct memory: growth
     * doubles up to that cap and no further (a backlog bounded at N must not cost 2N).
     */
    ByteSink(int initialCapacity, int maxCapacity) {
        this.maxCapacity = Math.max(MIN_CAPACITY, maxCapacity);
        buf = ByteBuffer.allocateDirect(Math.min(this.maxCapacity, Math.max(MIN_CAPACITY, initialCapacity)));
    }

    int capacity() {
        return buf.capacity();
    }

    ByteBuffer buffer() {
        return buf;
    }

    int start() {
        return start;
    }

    int end() {
        return end;
    }

    int size() {
        return end - start;
    }

    boolean isEmpty() {
        return end == start;
    }

    /** Consumes n bytes from the front. */
    void consume(int n) {
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
        }
    }

    void clear() {
        start = 0;
        end = 0;
    }

    /** Makes room for n more bytes at end(), compacting or growing as needed. */
    void ensure(int n) {
        if (buf.capacity() - end >= n) {
            return;
        }
        int size = end - start;
        if (buf.capacity() - size >= n && start >= buf.capacity() / 2) {
            buf.put(0, buf, start, size);
        } else {
            long need = (long) size + n;
            if (need > maxCapacity) {
                throw new IllegalStateException("buffer full: " + need + " bytes needed, cap " + maxCapacity);
            }
            long want = Math.min(maxCapacity, Math.max((long) buf.capacity() * 2, need));
            ByteBuffer bigger = ByteBuffer.allocateDirect((int) want);
            bigger.put(0, buf, start, size);
            buf = bigger;
        }
        start = 0;
        end = size;
    }

    /** Gives memory back once the sink is empty and has grown past {@code keep} bytes. */
    void shrinkIfEmpty(int keep) {
        if (isEmpty() && buf.capacity() > keep) {
            buf = ByteBuffer.allocateDirect(Math.max(MIN_CAPACITY, keep));
        }
    }

    void put(byte b) {
        ensure(1);
        buf.put(end++, b);
    }

    /** put without a capacity check; the caller called ensure(). */
    void putUnchecked(byte b) {
        buf.put(end++, b);
    }

    void put(byte[] src, int off, int len) {
        ensure(len);
        buf.put(end, src, off, len);
        end += len;
    }

    void put(ByteBuffer src, int off, int len) {
        ensure(len);
        buf.put(end, src, off, len);
        end += len;
    }
}
