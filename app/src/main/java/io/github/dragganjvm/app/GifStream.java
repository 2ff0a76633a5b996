package io.github.dragganjvm.app;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.FileImageOutputStream;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An animated, looping GIF written frame by frame: each {@link #add} encodes the frame straight into the file's
 * temporary sibling (ImageIO's GIF writer sequence on a file stream), so memory does not grow with the number of
 * frames; {@link #finish()} ends the sequence and moves the file into place; {@link #close()} without it deletes it.
 */
final class GifStream implements AutoCloseable {
    private final PendingFile pending;
    private final ImageWriter writer;
    private final ImageOutputStream out;
    private final int delayMs;
    private int frames;
    private boolean streamsClosed, finished;

    /** A GIF at file with delayMs per frame. */
    GifStream(Path file, int delayMs) throws IOException {
        if (delayMs < 1) throw new IllegalArgumentException("GifStream: delayMs must be >= 1 but is " + delayMs);
        this.delayMs = delayMs;
        this.pending = new PendingFile(file);
        ImageWriter w = null;
        ImageOutputStream o = null;
        try {
            w = ImageIO.getImageWritersByFormatName("gif").next();
            o = new FileImageOutputStream(pending.temp().toFile());
            w.setOutput(o);
            w.prepareWriteSequence(null);
        } catch (IOException | RuntimeException e) {
            if (o != null) o.close();
            if (w != null) w.dispose();
            pending.close();
            throw e;
        }
        this.writer = w;
        this.out = o;
    }

    /** Encodes one more frame into the file. */
    void add(BufferedImage frame) throws IOException {
        if (streamsClosed) throw new IllegalStateException("GifStream: already finished or closed");
        writer.writeToSequence(new IIOImage(frame, null, Images.gifFrameMetadata(writer, frame, delayMs, frames == 0)), null);
        frames++;
    }

    /** Frames written so far. */
    int frames() { return frames; }

    /** Ends the animation and moves the file into place; at least one frame must have been added. */
    void finish() throws IOException {
        if (frames == 0) throw new IllegalStateException("GifStream: no frames");
        writer.endWriteSequence();
        closeStreams();
        pending.commit();
        finished = true;
    }

    private void closeStreams() throws IOException {
        if (streamsClosed) return;
        streamsClosed = true;
        try {
            out.close();
        } finally {
            writer.dispose();
        }
    }

    @Override public void close() throws IOException {
        if (finished) return;
        try {
            closeStreams();
        } finally {
            pending.close();
        }
    }
}
