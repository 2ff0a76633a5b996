package draggan.app;

import draggan.drag.Point;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** Draws handles (red), targets (blue) and arrows between them on a copy of an image. */
public final class Annotate {
    private Annotate() {}

    /** A copy of src with each handle (red), its target (blue) and an arrow between them; x = column, y = row. */
    public static BufferedImage markers(BufferedImage src, List<Point> handles, List<Point> targets) {
        BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.drawImage(src, 0, 0, null);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        float r = Math.max(2.5f, src.getWidth() / 80f);
        g.setStroke(new BasicStroke(Math.max(1f, r / 2.5f)));
        for (int i = 0; i < handles.size(); i++) {
            Point h = handles.get(i), t = targets.get(i);
            double hx = h.x() + 0.5, hy = h.y() + 0.5, tx = t.x() + 0.5, ty = t.y() + 0.5;
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
