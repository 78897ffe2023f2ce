package io.jshim.daemon;

/**
 * Buffers of one I/O thread ({@link IoPool}): the spool chunk being formatted and the records
 * waiting for their write. Per thread, not per container, so 1000 idle containers cost nothing
 * here and an idle daemon (whose I/O threads have ended) neither.
 */
final class IoScratch {
    private static final ThreadLocal<IoScratch> MINE = ThreadLocal.withInitial(IoScratch::new);

    /** One output chunk, read from the spool straight onto the heap, where it is formatted. */
    final byte[] chunk = new byte[Scratch.CHUNK];
    final LogBuffer logRecords = new LogBuffer(256 * 1024);
    static final int BOUNCE = 256 * 1024;
    /** Records on their way to write(2): see {@link LogBuffer#writeTo}. */
    final java.nio.ByteBuffer bounce = java.nio.ByteBuffer.allocateDirect(BOUNCE);

    private IoScratch() {}

    static IoScratch get() {
        return MINE.get();
    }
}
