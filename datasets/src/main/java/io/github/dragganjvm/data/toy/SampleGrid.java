package io.github.dragganjvm.data.toy;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A contact sheet of toy faces: tiles scaled up by nearest neighbour, with each keypoint marked by a small cross in
 * its {@link #markColour(Keypoint) colour}. Pixels are set one by one (no java.awt drawing), so the sheet is the
 * same everywhere. Command line:
 * <pre>java io.github.dragganjvm.data.toy.SampleGrid OUT.png [--res 64] [--seeds 0-31] [--cols 8] [--scale 2] [--no-marks]</pre>
 */
public final class SampleGrid {
    /** Gap between tiles, in output pixels, and its colour. */
    private static final int GAP = 2, GAP_RGB = 0x202020;
    /** Arm length of a keypoint cross in output pixels (the cross spans 2 * ARM + 1). */
    private static final int ARM = 1;

    private SampleGrid() {}

    /**
     * Colour of a keypoint's cross, 0xRRGGBB: mirrored pairs share one; head points white, ears cyan, brows orange,
     * eye centres yellow, pupils magenta, nose green, mouth corners red, mouth centre and lips blue.
     */
    public static int markColour(Keypoint k) {
        return switch (k) {
            case HEAD_CENTER, HEAD_TOP, CHIN -> 0xFFFFFF;
            case LEFT_EAR, RIGHT_EAR -> 0x00E5FF;
            case LEFT_BROW, RIGHT_BROW -> 0xFF9100;
            case LEFT_EYE, RIGHT_EYE -> 0xFFEA00;
            case LEFT_PUPIL, RIGHT_PUPIL -> 0xFF00FF;
            case NOSE_TIP -> 0x00E676;
            case MOUTH_LEFT, MOUTH_RIGHT -> 0xFF1744;
            case MOUTH_CENTER, UPPER_LIP, LOWER_LIP -> 0x2979FF;
        };
    }

    /**
     * Tiles faces row by row.
     *
     * @param world source of faces (its resolution is the tile size before scaling)
     * @param seeds the faces, in reading order (at least one)
     * @param cols  tiles per row, >= 1 (rows = ceil(seeds / cols))
     * @param scale nearest-neighbour upscale, 1..16
     * @param marks whether to draw keypoint crosses (at pixel {@code round((p + 0.5) * scale - 0.5)} of the tile)
     * @return an RGB image of {@code cols * (res * scale + GAP) - GAP} by {@code rows * (res * scale + GAP) - GAP}
     */
    public static BufferedImage render(ToyFaces world, long[] seeds, int cols, int scale, boolean marks) {
        if (seeds.length == 0) throw new IllegalArgumentException("SampleGrid.render: no seeds");
        if (cols < 1) throw new IllegalArgumentException("SampleGrid.render: cols must be >= 1 but got " + cols);
        if (scale < 1 || scale > 16) throw new IllegalArgumentException("SampleGrid.render: scale must be in [1, 16] but got " + scale);
        int res = world.resolution(), tile = res * scale, rows = (seeds.length + cols - 1) / cols;
        int w = cols * (tile + GAP) - GAP, h = rows * (tile + GAP) - GAP;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out.setRGB(x, y, GAP_RGB);
        int plane = res * res;
        for (int t = 0; t < seeds.length; t++) {
            int ox = (t % cols) * (tile + GAP), oy = (t / cols) * (tile + GAP);
            byte[] img = world.rgb8(seeds[t]);
            for (int y = 0; y < tile; y++) {
                for (int x = 0; x < tile; x++) {
                    int i = (y / scale) * res + x / scale;
                    int rgb = (img[i] & 0xFF) << 16 | (img[plane + i] & 0xFF) << 8 | (img[2 * plane + i] & 0xFF);
                    out.setRGB(ox + x, oy + y, rgb);
                }
            }
            if (!marks) continue;
            Keypoints kp = world.keypoints(seeds[t]);
            for (Keypoint k : Keypoint.values()) {
                int cx = (int) Math.round((kp.x(k) + 0.5) * scale - 0.5), cy = (int) Math.round((kp.y(k) + 0.5) * scale - 0.5);
                for (int d = -ARM; d <= ARM; d++) {
                    plot(out, ox, oy, tile, cx + d, cy, markColour(k));
                    plot(out, ox, oy, tile, cx, cy + d, markColour(k));
                }
            }
        }
        return out;
    }

    private static void plot(BufferedImage out, int ox, int oy, int tile, int x, int y, int rgb) {
        if (x >= 0 && y >= 0 && x < tile && y < tile) out.setRGB(ox + x, oy + y, rgb);
    }

    /** Command line; see the class comment. Exit status 2 with one line on bad arguments. */
    public static void main(String[] args) throws IOException {
        Path outFile = null;
        int res = 64, cols = 8, scale = 2;
        long[] seeds = range(0, 31);
        boolean marks = true;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--res" -> res = Integer.parseInt(value(args, ++i, a));
                    case "--cols" -> cols = Integer.parseInt(value(args, ++i, a));
                    case "--scale" -> scale = Integer.parseInt(value(args, ++i, a));
                    case "--seeds" -> seeds = parseSeeds(value(args, ++i, a));
                    case "--no-marks" -> marks = false;
                    default -> {
                        if (a.startsWith("--") || outFile != null) throw new IllegalArgumentException("unknown argument " + a);
                        outFile = Path.of(a);
                    }
                }
            }
            if (outFile == null) throw new IllegalArgumentException("missing OUT.png");
            BufferedImage img = render(new ToyFaces(res), seeds, cols, scale, marks);
            Path abs = outFile.toAbsolutePath();
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer available");
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.println("wrote " + abs + " (" + seeds.length + " faces at " + res + " px, " + img.getWidth() + "x" + img.getHeight() + ")");
        } catch (IllegalArgumentException e) {
            System.err.println("SampleGrid: " + e.getMessage()
                    + "\nusage: SampleGrid OUT.png [--res 64] [--seeds 0-31|1,5,9] [--cols 8] [--scale 2] [--no-marks]");
            System.exit(2);
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }

    /** "A-B" (inclusive) or "a,b,c". */
    static long[] parseSeeds(String s) {
        try {
            int dash = s.indexOf('-', 1);
            if (dash > 0 && !s.contains(",")) return range(Long.parseLong(s.substring(0, dash)), Long.parseLong(s.substring(dash + 1)));
            List<Long> l = new ArrayList<>();
            for (String p : s.split(",")) l.add(Long.parseLong(p.trim()));
            return l.stream().mapToLong(Long::longValue).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seeds expects A-B or a,b,c but got " + s);
        }
    }

    private static long[] range(long from, long to) {
        if (to < from || to - from >= 10_000) throw new IllegalArgumentException("--seeds range " + from + "-" + to + " must be ascending and hold at most 10000 seeds");
        long[] r = new long[(int) (to - from + 1)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
