package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.Point;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Draws handles (red), targets (blue) and arrows between them on a copy of an image. Images narrower than
 * {@value #MIN_DISPLAY_WIDTH} px are first enlarged by the integer factor {@link #displayScale} (nearest neighbour,
 * so every model pixel stays a visible block), or the marks would cover a 64 px face.
 */
public final class Annotate {
    private Annotate() {}

    /** Annotated images are drawn at least this wide (when an integer enlargement reaches it). */
    public static final int MIN_DISPLAY_WIDTH = 256;

    /** The enlargement of an image width: max(1, MIN_DISPLAY_WIDTH / width), integer division (64 px: 4). */
    public static int displayScale(int width) { return Math.max(1, MIN_DISPLAY_WIDTH / width); }

    /**
     * A copy of src, enlarged by {@link #displayScale}, with each handle (red), its target (blue) and an arrow between
     * them; points are in src's pixels, x = column, y = row.
     */
    public static BufferedImage markers(BufferedImage src, List<Point> handles, List<Point> targets) {
        int s = displayScale(src.getWidth());
        BufferedImage img = new BufferedImage(src.getWidth() * s, src.getHeight() * s, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(src, 0, 0, img.getWidth(), img.getHeight(), null);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        float r = Math.max(2.5f, img.getWidth() / 80f);
        g.setStroke(new BasicStroke(Math.max(1f, r / 2.5f)));
        for (int i = 0; i < handles.size(); i++) {
            Point h = handles.get(i), t = targets.get(i);
            double hx = (h.x() + 0.5) * s, hy = (h.y() + 0.5) * s, tx = (t.x() + 0.5) * s, ty = (t.y() + 0.5) * s;
            g.setColor(Color.WHITE);
            g.drawLine((int) hx, (int) hy, (int) tx, (int) ty);
            double a = Math.atan2(ty - hy, tx - hx), len = 2 * r;
            g.drawLine((int) tx, (int) ty, (int) (tx - len * Math.cos(a - 0.5)), (int) (ty - len * Math.sin(a - 0.5)));
            g.drawLine((int) tx, (int) ty, (int) (tx - len * Math.cos(a + 0.5)), (int) (ty - len * Math.sin(a + 0.5)));
            g.setColor(new Color(0x3070ff));
            g.fillOval((int) (tx - r), (int) (ty - r), (int) (2 * r), (int) (2 * r));
            g.setColor(new Color(0xff3030));
            g.fillOval((int) (hx - r), (int) (hy - r), (int) (2 * r), (int) (2 * r));
        }
        g.dispose();
        return img;
    }
}
