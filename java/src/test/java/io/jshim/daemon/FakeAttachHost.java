package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Plays the container: records stdin input and ended input sessions. */
final class FakeAttachHost implements AttachServer.Host {
    final EventLoop loop;
    final Scratch scratch = new Scratch();
    final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
    final List<Integer> inputRecords = new ArrayList<>();
    int sessionsEnded;

    FakeAttachHost(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public String id() {
        return "test";
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public Scratch scratch() {
        return scratch;
    }

    @Override
    public void stdinInput(ByteBuffer buf, int pos, int len) {
        byte[] b = new byte[len];
        buf.get(pos, b);
        stdin.writeBytes(b);
        inputRecords.add(len);
    }

    @Override
    public void inputSessionEnded() {
        sessionsEnded++;
    }
}
