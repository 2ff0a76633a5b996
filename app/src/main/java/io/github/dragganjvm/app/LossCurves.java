package io.github.dragganjvm.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The loss-curve picture of a training run: the columns of its {@code metrics.csv} (one row per tick) plotted against
 * kimg, one panel per quantity (G loss, D loss, the real and fake scores, the R1 and path-length penalties), each
 * with its own vertical range.
 */
final class LossCurves {
    private LossCurves() {}

    private static final String[][] PANELS = {{"loss_g", "G loss"}, {"loss_d", "D loss"}, {"score_real", "D(real)"}, {"score_fake", "D(fake)"},
            {"r1_penalty", "R1 penalty"}, {"pl_penalty", "path-length penalty"}};
    private static final int PANEL_W = 360, PANEL_H = 200, COLS = 3, MARGIN = 36;

    /** Renders the curves of a metrics CSV (header row first; columns as TrainCommand writes them). */
    static BufferedImage render(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty()) throw new IOException(csv + " is empty");
        List<String> header = List.of(lines.get(0).split(","));
        int kimgCol = header.indexOf("kimg");
        int rows = (PANELS.length + COLS - 1) / COLS;
        BufferedImage img = new BufferedImage(PANEL_W * COLS, PANEL_H * rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = img.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        gr.setColor(Color.WHITE);
        gr.fillRect(0, 0, img.getWidth(), img.getHeight());
        gr.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int p = 0; p < PANELS.length; p++) {
            int col = header.indexOf(PANELS[p][0]);
            List<double[]> pts = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).split(",");
                if (col < 0 || kimgCol < 0 || f.length <= Math.max(col, kimgCol)) continue;
                try {
                    double x = Double.parseDouble(f[kimgCol]), y = Double.parseDouble(f[col]);
                    if (Double.isFinite(x) && Double.isFinite(y)) pts.add(new double[]{x, y});
                } catch (NumberFormatException e) {
                    // a NaN column (a phase that did not run in that tick) is skipped
                }
            }
            panel(gr, (p % COLS) * PANEL_W, (p / COLS) * PANEL_H, PANELS[p][1], pts);
        }
        gr.dispose();
        return img;
    }

    private static void panel(Graphics2D gr, int x0, int y0, String title, List<double[]> pts) {
        int left = x0 + MARGIN + 14, right = x0 + PANEL_W - 10, top = y0 + 22, bottom = y0 + PANEL_H - 24;
        gr.setColor(Color.BLACK);
        gr.drawString(title, x0 + MARGIN, y0 + 14);
        gr.setColor(Color.GRAY);
        gr.drawRect(left, top, right - left, bottom - top);
        if (pts.isEmpty()) {
            gr.drawString("no data yet", left + 8, top + 16);
            return;
        }
        double xmin = pts.get(0)[0], xmax = pts.get(pts.size() - 1)[0], ymin = Double.MAX_VALUE, ymax = -Double.MAX_VALUE;
        for (double[] q : pts) {
            ymin = Math.min(ymin, q[1]);
            ymax = Math.max(ymax, q[1]);
        }
        if (xmax <= xmin) xmax = xmin + 1;
        if (ymax <= ymin) { ymax += 0.5; ymin -= 0.5; }
        gr.setColor(Color.DARK_GRAY);
        gr.drawString(fmt(ymax), x0 + 2, top + 10);
        gr.drawString(fmt(ymin), x0 + 2, bottom);
        gr.drawString(fmt(xmin) + " kimg", left, bottom + 14);
        String xr = fmt(xmax) + " kimg";
        gr.drawString(xr, right - gr.getFontMetrics().stringWidth(xr), bottom + 14);
        gr.setColor(new Color(0x1f77b4));
        gr.setStroke(new BasicStroke(1.5f));
        int px = -1, py = -1;
        for (double[] q : pts) {
            int x = left + (int) Math.round((q[0] - xmin) / (xmax - xmin) * (right - left));
            int y = bottom - (int) Math.round((q[1] - ymin) / (ymax - ymin) * (bottom - top));
            if (px >= 0) gr.drawLine(px, py, x, y);
            else gr.fillOval(x - 1, y - 1, 3, 3);
            px = x;
            py = y;
        }
    }

    private static String fmt(double v) { return String.format(Locale.ROOT, Math.abs(v) >= 100 || v == Math.rint(v) ? "%.0f" : "%.3g", v); }
}
