package io.github.dragganjvm.app.web;

import io.github.dragganjvm.drag.Point;

import java.util.ArrayList;
import java.util.List;

/**
 * The frames of the last drag (PNG bytes and the points at that step), for "Export animation". Bounded: when it
 * holds {@code maxFrames} frames or {@code maxBytes} bytes it drops every second frame and from then on keeps only
 * every second offered frame, so a long drag keeps evenly spread frames from start to end.
 */
final class FrameRecorder {
    record Frame(byte[] png, List<Point> handles, List<Point> targets, int step) {}

    private final int maxFrames;
    private final long maxBytes;
    private final List<Frame> frames = new ArrayList<>();
    private long bytes;
    private int stride = 1, offered;

    FrameRecorder(int maxFrames, long maxBytes) {
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    synchronized void clear() {
        frames.clear();
        bytes = 0;
        stride = 1;
        offered = 0;
    }

    /** Offers a frame; {@code last} frames (the end of a drag) are always kept. */
    synchronized void add(Frame f, boolean last) {
        if (offered++ % stride != 0 && !last) return;
        while (!frames.isEmpty() && (frames.size() >= maxFrames || bytes + f.png().length > maxBytes)) {
            List<Frame> kept = new ArrayList<>();
            bytes = 0;
            for (int i = 0; i < frames.size(); i += 2) {
                kept.add(frames.get(i));
                bytes += frames.get(i).png().length;
            }
            frames.clear();
            frames.addAll(kept);
            stride *= 2;
            if (frames.size() == 1) break;
        }
        frames.add(f);
        bytes += f.png().length;
    }

    synchronized List<Frame> frames() { return List.copyOf(frames); }

    synchronized int size() { return frames.size(); }
}
