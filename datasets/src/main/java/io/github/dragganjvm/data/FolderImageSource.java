package io.github.dragganjvm.data;

import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.PackedColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Every PNG and JPEG image in one folder, decoded once into compact 8-bit storage.
 *
 * <p>Files: the regular files directly in the folder (not in sub-folders) whose names end in {@code .png},
 * {@code .jpg} or {@code .jpeg} (any case), sorted by file name ({@link String#compareTo}); index {@code i} is the
 * i-th of them. Other files are ignored.
 *
 * <p>Pixels: samples are taken as stored, without colour management (as PIL and NVlabs' dataset_tool do).
 * Grey images become RGB by repeating the grey value in the three channels; an alpha channel is dropped (the
 * colour samples are kept unchanged, not composited onto any background); palette images are expanded through
 * their palette; samples of other bit depths are rescaled to 8 bits as {@code round(v * 255 / (2^bits - 1))}.
 *
 * <p>Memory: one {@code byte[3 * res * res]} per image, {@code n * 3 * res^2} bytes in all (a 70 000-image 256 px
 * folder: 13.8 GB). Opening refuses a folder whose decoded size exceeds a limit ({@link #DEFAULT_MAX_DECODED_BYTES},
 * 4 GiB, unless another is given) before decoding anything; the JVM heap must be large enough for what is accepted.
 *
 * <p>Every problem is one {@link DatasetException} whose message names the folder or file: folder missing, no
 * images, an unreadable or corrupt image, an image that is not square, a side that is not a power of two, two
 * images of different sizes (both files and sizes named), a size other than the requested resolution, or a folder
 * over the memory limit. Immutable after opening, so concurrent reads are safe.
 */
public final class FolderImageSource implements ImageSource {
    /** Default limit on the decoded size of a folder: 4 GiB. */
    public static final long DEFAULT_MAX_DECODED_BYTES = 4L << 30;
    /** Passed as the resolution: accept whatever (power-of-two) size the images have. */
    public static final int ANY_RESOLUTION = 0;
    private static final int CHANNELS = 3;

    private final Path folder;
    private final List<String> names;
    private final byte[][] planar;   // per image [3, res, res]
    private final int res;

    private FolderImageSource(Path folder, List<String> names, byte[][] planar, int res) {
        this.folder = folder;
        this.names = List.copyOf(names);
        this.planar = planar;
        this.res = res;
    }

    /** Opens a folder of images of any one power-of-two size, with the default memory limit. */
    public static FolderImageSource open(Path folder) {
        return open(folder, ANY_RESOLUTION, DEFAULT_MAX_DECODED_BYTES);
    }

    /** Opens a folder whose images must all be {@code resolution x resolution}, with the default memory limit. */
    public static FolderImageSource open(Path folder, int resolution) {
        return open(folder, resolution, DEFAULT_MAX_DECODED_BYTES);
    }

    /**
     * Opens a folder.
     *
     * @param folder          the folder (not searched recursively)
     * @param resolution      the side every image must have, or {@link #ANY_RESOLUTION}
     * @param maxDecodedBytes the most bytes the decoded images may take ({@code n * 3 * res^2}), at least 1
     * @throws DatasetException for any problem listed in the class comment
     */
    public static FolderImageSource open(Path folder, int resolution, long maxDecodedBytes) {
        if (resolution < 0) throw new IllegalArgumentException("FolderImageSource: resolution must be >= 0 (0 = any) but got " + resolution);
        if (maxDecodedBytes < 1) throw new IllegalArgumentException("FolderImageSource: maxDecodedBytes must be >= 1 but got " + maxDecodedBytes);
        List<Path> files = listImages(folder);

        // 1. sizes from the headers, checked before anything is decoded
        int side = -1;
        Path first = null;
        for (Path f : files) {
            int[] wh = readSize(f);
            if (wh[0] != wh[1]) {
                throw new DatasetException("image " + f + " is " + wh[0] + "x" + wh[1] + ": training images must be square");
            }
            if (Integer.bitCount(wh[0]) != 1) {
                throw new DatasetException("image " + f + " is " + wh[0] + "x" + wh[1] + ": the side must be a power of two");
            }
            if (first == null) {
                first = f;
                side = wh[0];
            } else if (wh[0] != side) {
                throw new DatasetException("images differ in size: " + first + " is " + side + "x" + side + " but " + f + " is "
                        + wh[0] + "x" + wh[1] + " (all images in a folder must have one size)");
            }
        }
        if (resolution != ANY_RESOLUTION && side != resolution) {
            throw new DatasetException("folder " + folder + " holds " + side + "x" + side + " images but resolution " + resolution + " was requested");
        }
        long perImage = (long) CHANNELS * side * side;
        long total = perImage * files.size();
        if (perImage > Integer.MAX_VALUE - 8 || total > maxDecodedBytes) {
            throw new DatasetException(String.format(Locale.ROOT,
                    "folder %s: %d images of %dx%dx%d decode to %d bytes (%.2f GiB), over the limit of %d bytes (%.2f GiB)",
                    folder, files.size(), side, side, CHANNELS, total, total / (double) (1L << 30), maxDecodedBytes,
                    maxDecodedBytes / (double) (1L << 30)));
        }

        // 2. decode
        byte[][] planar = new byte[files.size()][];
        List<String> names = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            BufferedImage img = decode(f);
            if (img.getWidth() != side || img.getHeight() != side) {
                throw new DatasetException("image " + f + " decodes to " + img.getWidth() + "x" + img.getHeight()
                        + " but its header says " + side + "x" + side);
            }
            planar[i] = toPlanarRgb8(img, f);
            names.add(f.getFileName().toString());
        }
        return new FolderImageSource(folder, names, planar, side);
    }

    @Override public int resolution() { return res; }

    @Override public int channels() { return CHANNELS; }

    @Override public long size() { return planar.length; }

    /** The folder this source was opened from. */
    public Path folder() { return folder; }

    /** File names (no directory) in index order. */
    public List<String> fileNames() { return names; }

    /** @return image {@code index} as F32 {@code [3, res, res]}, values {@code b / 127.5 - 1} */
    @Override public Tensor image(long index) {
        return Rgb8.toTensor(planar[checkIndex(index)], CHANNELS, res);
    }

    /** A copy of image {@code index}'s 8-bit samples, planar {@code [3, res, res]}. */
    public byte[] rgb8(long index) {
        return planar[checkIndex(index)].clone();
    }

    @Override public Tensor batch(long[] indices) {
        if (indices == null || indices.length == 0) return ImageSource.super.batch(indices);   // reports the error
        int per = CHANNELS * res * res;
        float[] out = new float[Math.multiplyExact(indices.length, per)];
        for (int n = 0; n < indices.length; n++) Rgb8.toUnit(planar[checkIndex(indices[n])], out, n * per);
        return Tensor.of(out, indices.length, CHANNELS, res, res);
    }

    private int checkIndex(long index) {
        if (index < 0 || index >= planar.length) {
            throw new IndexOutOfBoundsException("FolderImageSource " + folder + ": index " + index + " outside [0, " + planar.length + ")");
        }
        return (int) index;
    }

    // ---------------------------------------------------------------- files

    private static List<Path> listImages(Path folder) {
        if (folder == null || !Files.isDirectory(folder)) {
            throw new DatasetException("image folder " + folder + " does not exist or is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).filter(p -> isImageName(p.getFileName().toString())).toList());
        } catch (IOException e) {
            throw new DatasetException("cannot list image folder " + folder + ": " + e, e);
        }
        if (files.isEmpty()) {
            throw new DatasetException("image folder " + folder + " holds no .png, .jpg or .jpeg files (sub-folders are not searched)");
        }
        files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return files;
    }

    private static boolean isImageName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** {width, height} from the file's header. */
    private static int[] readSize(Path f) {
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader reader = readerFor(in, f);
            try {
                reader.setInput(in, true, true);
                return new int[]{reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetException d) throw d;
            throw new DatasetException("cannot read image " + f + ": " + oneLine(e), e);
        }
    }

    private static BufferedImage decode(Path f) {
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader reader = readerFor(in, f);
            try {
                reader.setInput(in, true, true);
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetException d) throw d;
            throw new DatasetException("cannot decode image " + f + " (corrupt or unsupported): " + oneLine(e), e);
        }
    }

    private static ImageReader readerFor(ImageInputStream in, Path f) {
        if (in == null) throw new DatasetException("cannot open image " + f + " for reading");
        Iterator<ImageReader> it = ImageIO.getImageReaders(in);
        if (!it.hasNext()) throw new DatasetException("cannot read image " + f + ": not a PNG or JPEG file (no decoder recognises its contents)");
        return it.next();
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (e.getClass().getSimpleName() + (m == null ? "" : ": " + m)).replace('\n', ' ');
    }

    // ---------------------------------------------------------------- pixels

    /** The image's colour samples as planar 8-bit RGB {@code [3, H, W]} (grey repeated, alpha dropped). */
    private static byte[] toPlanarRgb8(BufferedImage img, Path f) {
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        byte[] out = new byte[3 * plane];
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        if (cm instanceof IndexColorModel icm) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = r.getSample(x, y, 0), i = y * w + x;
                    out[i] = (byte) icm.getRed(p);
                    out[plane + i] = (byte) icm.getGreen(p);
                    out[2 * plane + i] = (byte) icm.getBlue(p);
                }
            }
            return out;
        }
        if (!(cm instanceof ComponentColorModel || cm instanceof PackedColorModel)) {
            throw new DatasetException("image " + f + ": unsupported colour model " + cm.getClass().getSimpleName());
        }
        int colours = cm.getNumColorComponents(), csType = cm.getColorSpace().getType();
        boolean grey = colours == 1 && csType == ColorSpace.TYPE_GRAY;
        boolean rgb = colours == 3 && csType == ColorSpace.TYPE_RGB;
        if (!grey && !rgb) {
            throw new DatasetException("image " + f + ": unsupported colour space with " + colours + " colour components (expected grey or RGB)");
        }
        int[] bits = new int[3];
        for (int c = 0; c < 3; c++) bits[c] = cm.getComponentSize(grey ? 0 : c);
        for (int c = 0; c < 3; c++) {
            int band = grey ? 0 : c, b = bits[c];
            double scale = 255.0 / ((1L << b) - 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = r.getSample(x, y, band);
                    out[c * plane + y * w + x] = (byte) (b == 8 ? v : (int) Math.floor(v * scale + 0.5));
                }
            }
        }
        return out;
    }
}
