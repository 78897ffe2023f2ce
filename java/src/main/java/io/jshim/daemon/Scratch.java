package io.jshim.daemon;

import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Buffers shared by everything on the loop thread (one thread, so one set is enough). The log
 * path's buffers are per I/O thread: {@link IoScratch}.
 */
final class Scratch {
    /** Largest output chunk, as shimmy: a 32 KiB buffer minus the attach type byte. */
    static final int CHUNK = 32767;
    static final int INPUT = 32 * 1024;

    /** [type][chunk]: an attach frame; the chunk itself starts at offset 1. */
    final ByteBuffer frame = ByteBuffer.allocateDirect(CHUNK + 1);
    final ByteBuffer input = ByteBuffer.allocateDirect(INPUT);
    final ByteBuffer packet = ByteBuffer.allocateDirect(Protocol.MSG_MAX).order(ByteOrder.nativeOrder());
    final int[] fds = new int[Protocol.MAX_FDS];
    final int[] counts = new int[1];
}
