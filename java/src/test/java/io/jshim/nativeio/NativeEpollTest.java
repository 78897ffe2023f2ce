package io.jshim.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class NativeEpollTest {
    static final int EBADF = 9;
    static final int EINVAL = 22;

    @Test
    void eventfdWakesEpollWithTheGivenData() throws Exception {
        int ep = Errno.check(Native.epollCreate(), "epoll_create1", null);
        int efd = Errno.check(Native.eventfd(), "eventfd", null);
        try {
            long data = 0x1234_5678_9abc_def0L;
            assertEquals(0, Native.epollCtl(ep, Native.EPOLL_CTL_ADD, efd, Native.EPOLLIN, data));
            ByteBuffer events = ByteBuffer.allocateDirect(4 * Native.EPOLL_EVENT_SIZE);
            events.order(ByteOrder.nativeOrder());
            assertEquals(0, Native.epollWait(ep, events, 4, 0), "nothing ready yet");
            assertEquals(-Native.EAGAIN, Native.eventfdRead(efd), "counter is zero");

            assertEquals(0, Native.eventfdWrite(efd, 3));
            assertEquals(0, Native.eventfdWrite(efd, 4));
            for (int i = 0; i < events.capacity(); i++) {
                events.put(i, (byte) 0x55);
            }
            assertEquals(1, Native.epollWait(ep, events, 4, 1000));
            assertEquals(Native.EPOLLIN, events.getInt(0));
            assertEquals(0, events.getInt(4), "padding is zeroed");
            assertEquals(data, events.getLong(8));
            assertEquals(0x55, events.get(16), "only one entry written");
            assertEquals(7, Native.eventfdRead(efd));

            assertEquals(0, Native.epollCtl(ep, Native.EPOLL_CTL_MOD, efd, Native.EPOLLOUT, 9));
            assertEquals(1, Native.epollWait(ep, events, 4, 1000));
            assertEquals(Native.EPOLLOUT, events.getInt(0));
            assertEquals(9, events.getLong(8));
            assertEquals(0, Native.epollCtl(ep, Native.EPOLL_CTL_DEL, efd, 0, 0));
            assertEquals(-Native.ENOENT, Native.epollCtl(ep, Native.EPOLL_CTL_DEL, efd, 0, 0));
            assertEquals(0, Native.epollCtl(ep, Native.EPOLL_CTL_ADD, efd, Native.EPOLLIN, 1));
            assertEquals(-Native.EEXIST, Native.epollCtl(ep, Native.EPOLL_CTL_ADD, efd, Native.EPOLLIN, 2));
            assertEquals(-EINVAL, Native.epollCtl(ep, Native.EPOLL_CTL_ADD, ep, Native.EPOLLIN, 0), "itself");
        } finally {
            Native.close(efd);
            Native.close(ep);
        }
    }

    @Test
    void argumentsAreChecked() {
        int ep = Native.epollCreate();
        try {
            ByteBuffer events = ByteBuffer.allocateDirect(2 * Native.EPOLL_EVENT_SIZE);
            assertEquals(-EINVAL, Native.epollWait(ep, events, 3, 0), "more entries than fit");
            assertEquals(-EINVAL, Native.epollWait(ep, events, 0, 0));
            assertEquals(-EINVAL, Native.epollWait(ep, ByteBuffer.allocate(64), 2, 0), "heap buffer");
            assertEquals(-EBADF, Native.epollWait(-1, events, 2, 0));
            assertEquals(-EBADF, Native.epollCtl(ep, Native.EPOLL_CTL_ADD, -1, Native.EPOLLIN, 0));
            assertEquals(-EBADF, Native.eventfdWrite(-1, 1));
            assertEquals(-EBADF, Native.eventfdRead(-1));
        } finally {
            Native.close(ep);
        }
    }
}
