package io.github.dragganjvm.stylegan.image;

import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Generator images in and out of the JVM's image types: a tensor {@code [1, 3, H, W]} or {@code [3, H, W]}
 * (StyleGAN's output range, roughly [-1, 1]) to an 8-bit RGB {@link BufferedImage} exactly as the reference tools
 * convert it ({@code x * 127.5 + 128}, clamped to [0, 255], truncated toward zero), grids, PNG files and looping
 * animated GIFs.
 *
 * <p>Files are written to a hidden temporary sibling ({@code .NAME.RANDOM.tmp}, created with the process's normal
 * permissions) and renamed into place, so a reader never sees a half-written file and a failure leaves none; the
 * parent folder must exist. All methods are stateless and safe to call from any thread.
 */
public final class Images {
    private Images() {}

    /**
     * The 8-bit value of one sample, as the reference: {@code clamp(x * 127.5 + 128, 0, 255)} truncated toward zero,
     * computed in float. NaN gives 0.
     *
     * @param x a sample in StyleGAN's output range (roughly [-1, 1]; anything else clamps)
     * @return the value in [0, 255]
     */
    public static int toByte(float x) {
        float v = x * 127.5f + 128f;
        if (!(v >= 0)) return 0;          // also NaN -> 0
        if (v >= 255) return 255;
        return (int) v;
    }

    /**
     * Converts an image tensor to an RGB image with {@link #toByte} per sample. Grey (one channel) is written to all
     * three colours. Works on any device and dtype (the tensor is copied to the host as float).
     *
     * @param img {@code [1, C, H, W]} or {@code [C, H, W]}, C = 3 (RGB) or 1 (grey), values roughly in [-1, 1]
     * @return a new {@code TYPE_INT_RGB} image of width W and height H
     * @throws IllegalArgumentException for any other shape
     */
    public static BufferedImage toImage(Tensor img) {
        boolean batched = img.dim() == 4 && img.size(0) == 1;
        Tensor t = batched ? img.selectView(0, 0) : img;
        if (t.dim() != 3 || (t.size(0) != 3 && t.size(0) != 1)) {
            throw new IllegalArgumentException("Images.toImage: expected an image tensor [1, 3, H, W], [3, H, W] (or 1 channel) but got "
                    + Arrays.toString(img.shape()));
        }
        int c = t.size(0), h = t.size(1), w = t.size(2);
        float[] v = t.toFloatArray();
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int r = toByte(v[i]), g = toByte(v[(c == 3 ? plane : 0) + i]), b = toByte(v[(c == 3 ? 2 * plane : 0) + i]);
                bi.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return bi;
    }

    /**
     * Tiles equally sized images row by row into a grid; cells without an image stay black.
     *
     * @param images at least one image, all of the first one's size; at most cols * rows are drawn
     * @param cols   columns, at least 1
     * @param rows   rows, at least 1
     * @return a new image of (cols * width) x (rows * height)
     */
    public static BufferedImage grid(List<BufferedImage> images, int cols, int rows) {
        if (images.isEmpty()) throw new IllegalArgumentException("Images.grid: no images");
        if (cols < 1 || rows < 1) throw new IllegalArgumentException("Images.grid: cols and rows must be >= 1 but are " + cols + ", " + rows);
        int w = images.get(0).getWidth(), h = images.get(0).getHeight();
        BufferedImage out = new BufferedImage(w * cols, h * rows, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < images.size() && i < cols * rows; i++) {
            out.getGraphics().drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
        }
        return out;
    }

    /**
     * Encodes a PNG onto a stream (left open).
     *
     * @param img  the image
     * @param sink where the PNG bytes go
     * @throws IOException when the stream fails
     */
    public static void writePng(BufferedImage img, OutputStream sink) throws IOException {
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(sink)) {
            if (!ImageIO.write(img, "png", out)) throw new IOException("Images.writePng: this JVM has no PNG writer");
        }
    }

    /**
     * Writes a PNG file all or nothing (temporary sibling renamed into place; an existing file is replaced).
     *
     * @param img  the image
     * @param file the PNG file; its folder must exist
     * @throws IOException when writing or renaming fails (nothing is left behind then)
     */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        writeAtomically(file, out -> writePng(img, out));
    }

    /**
     * Encodes a looping animated GIF onto a stream (left open).
     *
     * @param frames  at least one frame
     * @param delayMs display time per frame in milliseconds (GIF stores hundredths; at least 10 ms)
     * @param sink    where the GIF bytes go
     * @throws IOException when the stream fails
     */
    public static void writeGif(List<BufferedImage> frames, int delayMs, OutputStream sink) throws IOException {
        if (frames.isEmpty()) throw new IllegalArgumentException("Images.writeGif: no frames");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(sink)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                writer.writeToSequence(new IIOImage(frames.get(i), null, gifFrameMetadata(writer, frames.get(i), delayMs, i == 0)), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    /**
     * Writes a looping animated GIF file all or nothing (temporary sibling renamed into place).
     *
     * @param frames  at least one frame
     * @param delayMs display time per frame in milliseconds (at least 10 ms)
     * @param file    the GIF file; its folder must exist
     * @throws IOException when writing or renaming fails (nothing is left behind then)
     */
    public static void writeGif(List<BufferedImage> frames, int delayMs, Path file) throws IOException {
        if (frames.isEmpty()) throw new IllegalArgumentException("Images.writeGif: no frames");
        writeAtomically(file, out -> writeGif(frames, delayMs, out));
    }

    /**
     * The GIF metadata of one frame of a looping animation, for writing frames one at a time with an ImageIO GIF
     * writer's sequence: delay {@code max(1, delayMs / 10)} hundredths, no transparency, no disposal; the first
     * frame also carries the NETSCAPE extension that loops the animation forever.
     *
     * @param writer  the GIF writer the frame goes to
     * @param frame   the frame
     * @param delayMs display time in milliseconds
     * @param first   whether this is the animation's first frame
     * @return metadata to pass with the frame to {@link ImageWriter#writeToSequence}
     * @throws IOException when the writer rejects the metadata tree
     */
    public static IIOMetadata gifFrameMetadata(ImageWriter writer, BufferedImage frame, int delayMs, boolean first) throws IOException {
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
        String fmt = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(Math.max(1, delayMs / 10)));
        gce.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0}); // loop forever
            apps.appendChild(app);
        }
        meta.setFromTree(fmt, root);
        return meta;
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }

    /** What writes a file's bytes onto a stream. */
    private interface Writer { void write(OutputStream out) throws IOException; }

    /** Writes through a new hidden sibling (normal permissions), then renames it over file; removes it on failure. */
    private static void writeAtomically(Path file, Writer body) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new IOException("Images: cannot write " + file + ": folder " + dir + " does not exist");
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
                body.write(out);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
