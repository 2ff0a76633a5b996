package io.github.dragganjvm.app.web;

import io.github.dragganjvm.drag.Point;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event queue of one page (frames supersede waiting frames, order kept) and the bounded frame recorder. */
class EventStreamTest {
    static EventStream.Event ev(String name, int n) { return new EventStream.Event(name, "{\"n\":" + n + "}"); }

    static List<String> drain(EventStream s) throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (EventStream.Event e; (e = s.next(1)) != null; ) out.add(e.name() + e.data());
        return out;
    }

    @Test
    void aNewFrameReplacesTheWaitingOneAndOrderIsKept() throws InterruptedException {
        EventStream s = new EventStream();
        s.publish(ev("step", 1));
        s.publish(ev("frame", 1));
        s.publish(ev("step", 2));
        s.publish(ev("frame", 2));
        s.publish(ev("end", 3));
        assertEquals(List.of("step{\"n\":1}", "step{\"n\":2}", "frame{\"n\":2}", "end{\"n\":3}"), drain(s));
    }

    @Test
    void closingHandsOutWhatWasQueuedThenNothing() throws InterruptedException {
        EventStream s = new EventStream();
        s.publish(ev("closed", 1));
        s.close();
        s.publish(ev("step", 2));                 // dropped: closed
        assertEquals("closed", s.next(10).name());
        long t0 = System.nanoTime();
        assertNull(s.next(5_000));                // returns at once when closed, not after the timeout
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }

    @Test
    void aPageThatStopsReadingKeepsOnlyTheNewestEvents() throws InterruptedException {
        EventStream s = new EventStream();
        for (int i = 0; i < 1000; i++) s.publish(ev("step", i));
        List<String> got = drain(s);
        assertEquals(256, got.size());
        assertEquals("step{\"n\":999}", got.get(got.size() - 1));
    }

    static FrameRecorder.Frame frame(int step, int bytes) {
        return new FrameRecorder.Frame(new byte[bytes], List.of(new Point(step, 0)), List.of(new Point(9, 9)), step);
    }

    @Test
    void recorderKeepsEvenlySpreadFramesWithinItsBounds() {
        FrameRecorder r = new FrameRecorder(8, 1 << 20);
        for (int i = 0; i < 100; i++) r.add(frame(i, 10), false);
        r.add(frame(100, 10), true);
        List<FrameRecorder.Frame> fs = r.frames();
        assertTrue(fs.size() <= 8 + 1, "bounded: " + fs.size());
        assertEquals(0, fs.get(0).step(), "the first frame stays");
        assertEquals(100, fs.get(fs.size() - 1).step(), "the last frame is always kept");
        for (int i = 1; i < fs.size() - 1; i++) {
            int gap = fs.get(i).step() - fs.get(i - 1).step();
            assertEquals(fs.get(1).step() - fs.get(0).step(), gap, "even spacing at " + i + ": " + fs.stream().map(FrameRecorder.Frame::step).toList());
        }

        FrameRecorder bytes = new FrameRecorder(1000, 100);
        for (int i = 0; i < 50; i++) bytes.add(frame(i, 30), false);
        assertTrue(bytes.size() * 30 <= 100, "within the byte bound: " + bytes.size() + " frames");
        bytes.clear();
        assertEquals(0, bytes.size());
    }
}
