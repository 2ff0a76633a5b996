package io.github.dragganjvm.app.web;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The outgoing queue of one server-sent-events connection. Events keep their order; a new {@code frame} replaces a
 * frame still waiting in the queue (a slow page skips frames instead of falling behind), so the queue stays short.
 */
final class EventStream {
    /** One event: its SSE name and its one-line JSON data. */
    record Event(String name, String data) {}

    private static final int MAX_QUEUED = 256;

    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private boolean closed;

    /** Queues an event; frames supersede a queued frame. Dropped when closed. */
    synchronized void publish(Event e) {
        if (closed) return;
        if (e.name().equals("frame")) {
            for (Iterator<Event> it = queue.iterator(); it.hasNext(); ) if (it.next().name().equals("frame")) it.remove();
        }
        if (queue.size() >= MAX_QUEUED) queue.pollFirst();     // a page that stopped reading: keep the newest
        queue.addLast(e);
        notifyAll();
    }

    /** The next event, or null after the timeout (the caller sends a keep-alive) or once closed and drained. */
    synchronized Event next(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (queue.isEmpty() && !closed) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) return null;
            wait(left);
        }
        return queue.pollFirst();
    }

    /** No more events are accepted; the queued ones (e.g. a last "closed") are still handed out. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    synchronized boolean isClosed() { return closed; }
}
