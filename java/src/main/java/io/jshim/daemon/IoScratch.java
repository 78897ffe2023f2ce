package io.jshim.daemon;

/**
 * Buffers of one I/O thread ({@link IoPool}): the spool chunk being formatted and the records
 * waiting for their write. Per thread, not per container, so 1000 idle containers cost nothing
 * here and an idle daemon (whose I/O threads have ended) neither.
 */
final class IoScratch {
    private static final ThreadLocal<IoScratch> MINE = ThreadLocal.withInitial(IoScratch::new);

    /**
     * Spool bytes read with one pread straight onto the heap, where they are formatted chunk by
     * chunk: eight chunks per syscall instead of one (a pread is a syscall and a page-cache
     * lookup per 4 KiB; on a paravirtualized guest the syscall itself is dear).
     */
    static final int BLOCK = 8 * Scratch.CHUNK;
    /** One chunk until a backlog wants more (a thread serving only quiet containers never grows it). */
    private byte[] block = new byte[Scratch.CHUNK];
    final LogBuffer logRecords = new LogBuffer(256 * 1024);
    static final int BOUNCE = 256 * 1024;
    /** Records on their way to write(2): see {@link LogBuffer#writeTo}. */
    final java.nio.ByteBuffer bounce = java.nio.ByteBuffer.allocateDirect(BOUNCE);

    private IoScratch() {}

    /** The read buffer, at least {@code want} bytes long ({@code want <= BLOCK}). */
    byte[] block(int want) {
        if (want > block.length) {
            block = new byte[BLOCK];
        }
        return block;
    }

    static IoScratch get() {
        return MINE.get();
    }
}
