package draggan.app;

import draggan.tensor.Tensor;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
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
    public static int toByte(float x) {
        float v = x * 127.5f + 128f;
        if (!(v >= 0)) return 0;          // also NaN -> 0
        if (v >= 255) return 255;
        return (int) v;
    }

    /** Converts an image tensor [1, C, H, W] or [C, H, W] with C = 3 (RGB) or 1 (grey) to a BufferedImage. */
    public static BufferedImage toImage(Tensor img) {
        Tensor t = img.dim() == 4 ? img.selectView(0, 0) : img;
        if (t.dim() != 3 || (t.size(0) != 3 && t.size(0) != 1)) {
            throw new IllegalArgumentException("toImage: expected [1, 3, H, W] or [3, H, W] but got " + java.util.Arrays.toString(img.shape()));
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

    /** Tiles equally sized images into cols x rows. */
    public static BufferedImage grid(List<BufferedImage> images, int cols, int rows) {
        int w = images.get(0).getWidth(), h = images.get(0).getHeight();
        BufferedImage out = new BufferedImage(w * cols, h * rows, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < images.size() && i < cols * rows; i++) {
            out.getGraphics().drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
        }
        return out;
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
        if (frames.isEmpty()) throw new IllegalArgumentException("writeGif: no frames");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(sink)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) writer.writeToSequence(new IIOImage(frames.get(i), null, gifFrameMetadata(writer, frames.get(i), delayMs, i == 0)), null);
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    /** The GIF metadata of one frame: delayMs (at least 10 ms), no transparency; the first frame also loops the animation forever. */
    static IIOMetadata gifFrameMetadata(ImageWriter writer, BufferedImage f, int delayMs, boolean first) throws IOException {
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(f), null);
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
}
