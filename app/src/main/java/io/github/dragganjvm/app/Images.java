package io.github.dragganjvm.app;

import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Images in and out: generator output [1, 3, H, W] (roughly [-1, 1]) to 8-bit RGB exactly as the reference tools
 * convert it (x * 127.5 + 128, clamped to [0, 255], truncated), PNG and animated GIF files, grids.
 * Files are written through {@link OutputFolder#writeFile}, so nothing is ever half-written.
 */
public final class Images {
    private Images() {}

    /** 8-bit value of one sample, as the reference: clamp(x * 127.5 + 128, 0, 255) truncated toward zero. */
    public static int toByte(float x) { return io.github.dragganjvm.stylegan.image.Images.toByte(x); }

    /** Converts an image tensor [1, C, H, W] or [C, H, W] with C = 3 (RGB) or 1 (grey) to a BufferedImage. */
    public static BufferedImage toImage(Tensor img) { return io.github.dragganjvm.stylegan.image.Images.toImage(img); }

    /** Tiles equally sized images into cols x rows. */
    public static BufferedImage grid(List<BufferedImage> images, int cols, int rows) {
        return io.github.dragganjvm.stylegan.image.Images.grid(images, cols, rows);
    }

    /** Writes a PNG all or nothing ({@link OutputFolder#writeFile}: parents created, normal permissions). */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        OutputFolder.writeFile(file, out -> {
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                if (!ImageIO.write(img, "png", ios)) throw new IOException("no PNG writer available");
            }
        });
    }

    /** Writes an animated GIF (looping) all or nothing ({@link OutputFolder#writeFile}); delayMs per frame. */
    public static void writeGif(List<BufferedImage> frames, int delayMs, Path file) throws IOException {
        if (frames.isEmpty()) throw new IllegalArgumentException("writeGif: no frames");
        OutputFolder.writeFile(file, out -> writeGif(frames, delayMs, out));
    }

    /** Writes an animated GIF (looping) to a stream (left open); delayMs per frame. */
    public static void writeGif(List<BufferedImage> frames, int delayMs, OutputStream sink) throws IOException {
        io.github.dragganjvm.stylegan.image.Images.writeGif(frames, delayMs, sink);
    }

    /** The GIF metadata of one frame (see {@link io.github.dragganjvm.stylegan.image.Images#gifFrameMetadata}). */
    static IIOMetadata gifFrameMetadata(ImageWriter writer, BufferedImage f, int delayMs, boolean first) throws IOException {
        return io.github.dragganjvm.stylegan.image.Images.gifFrameMetadata(writer, f, delayMs, first);
    }
}
