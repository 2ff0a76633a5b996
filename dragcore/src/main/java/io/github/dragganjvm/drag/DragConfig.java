package io.github.dragganjvm.drag;

/**
 * Every number of the drag loop. {@link #reference()} equals the reference DragGAN tool; nothing in dragcore
 * uses a literal instead of these fields. Radii scale with the image height h as the reference does:
 * r1 = round(r1At512 / 512 * h), r2 = round(r2At512 / 512 * h) (Python rounding), stop distance
 * max(stopMin, stopAt512 / 512 * h). Below about 86 px the reference's r1 rounds to 0 (an empty disc: nothing
 * would move), so both radii are at least 1; at 128 px and above this never applies.
 *
 * @param featureBlockRes  synthesis block whose output x is the feature map F (128: the 6th block)
 * @param optimizedRows    leading rows of w+ that Adam moves (the rest stay w0)
 * @param lr               Adam learning rate (tool 1e-3; the paper uses 2e-3 for FFHQ, AFHQ-cat, LSUN-car)
 * @param lambdaMask       weight of the fixed-region term (tool 20; the renderer's function default is 10)
 * @param r1At512          motion-supervision disc radius at 512 px
 * @param r2At512          tracking half window at 512 px
 * @param stopMin          stop distance floor in px
 * @param stopAt512        stop distance at 512 px
 * @param superviseAbove   a handle is supervised only while |t - p| exceeds this (px)
 * @param tracker          point tracker
 * @param directSampling   the cheaper path (default): only the blocks up to the feature block run on the tape, and
 *                         F(q), F(q + d) and the tracking windows are resized from the block map just where they are
 *                         read. false = the straightforward path, as the reference does it: the whole generator
 *                         (every block and the image) on the tape, the whole feature map resized. Same values.
 * @param templateWeight   TEMPLATE tracker: weight of the adaptive template against the initial feature
 * @param moveMargin       TEMPLATE tracker: relative improvement a new position needs over staying put
 * @param supervision      what F(q + d) is pulled towards (see {@link Supervision})
 */
public record DragConfig(int featureBlockRes, int optimizedRows, double lr, double lambdaMask,
                         double r1At512, double r2At512, double stopMin, double stopAt512, double superviseAbove,
                         Tracker tracker, boolean directSampling, double templateWeight, double moveMargin,
                         Supervision supervision) {

    /** The point trackers users can pick. */
    public enum Tracker {
        /** Nearest neighbour (L2) of the handle's initial feature in a (2 r2 + 1)^2 window; ties to the first in row-major order. */
        REFERENCE,
        /**
         * The reference window search with a feature template that adapts only while it stays confident
         * (FreeDrag-style), and a step cap of r2 along the motion: fewer jumps to look-alike pixels.
         */
        TEMPLATE;

        public static Tracker parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "reference" -> REFERENCE;
                case "template" -> TEMPLATE;
                default -> throw new IllegalArgumentException("tracker must be reference or template but is '" + s + "'");
            };
        }
    }

    /** What the motion-supervision term pulls F(q + d) towards, for q in the disc around the tracked handle p. */
    public enum Supervision {
        /** stopgrad F(q): whatever is under the handle now (the reference). */
        REFERENCE,
        /**
         * F0(q - p + p0), the features captured with f0 (at the first step, again after the points change) around
         * the handle's position p0 then (GoodDrag-style): the content that started under the handle is what is
         * pulled, so a mistracked handle does not start dragging some other content along.
         */
        ORIGINAL;

        public static Supervision parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "reference" -> REFERENCE;
                case "original" -> ORIGINAL;
                default -> throw new IllegalArgumentException("supervision must be reference or original but is '" + s + "'");
            };
        }
    }

    public DragConfig {
        if (featureBlockRes < 4 || Integer.bitCount(featureBlockRes) != 1) throw new IllegalArgumentException("featureBlockRes must be a power of two >= 4 but is " + featureBlockRes);
        if (optimizedRows < 1) throw new IllegalArgumentException("optimizedRows must be >= 1 but is " + optimizedRows);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be a positive finite number but is " + lr);
        if (!(lambdaMask >= 0) || !Double.isFinite(lambdaMask)) throw new IllegalArgumentException("lambda must be a finite number >= 0 but is " + lambdaMask);
        if (!(r1At512 > 0) || !(r2At512 > 0)) throw new IllegalArgumentException("radii must be > 0 but are " + r1At512 + ", " + r2At512);
        if (!(stopMin >= 0) || !(stopAt512 >= 0) || !(superviseAbove >= 0)) throw new IllegalArgumentException("distances must be >= 0");
        if (tracker == null) throw new IllegalArgumentException("tracker must be given");
        if (!(templateWeight >= 0 && templateWeight <= 1)) throw new IllegalArgumentException("templateWeight must be in [0, 1] but is " + templateWeight);
        if (!(moveMargin >= 0 && moveMargin < 1)) throw new IllegalArgumentException("moveMargin must be in [0, 1) but is " + moveMargin);
        if (supervision == null) throw new IllegalArgumentException("supervision must be given");
    }

    /**
     * The reference tool's values. Its feature block is 128 px: for a smaller model (e.g. 64 px) fit it with
     * {@code DragConfig.reference().fittedTo(generator.resolution())}; a session refuses an unfitted one, saying so.
     */
    public static DragConfig reference() {
        return new DragConfig(128, 6, 1e-3, 20, 3, 12, 2, 2, 1, Tracker.REFERENCE, true, 0.3, 0.03, Supervision.REFERENCE);
    }

    /** Disc radius r1 at image height h. */
    public int r1(int h) { return (int) Math.max(1, PyMath.round(r1At512 / 512 * h)); }

    /** Tracking half window r2 at image height h. */
    public int r2(int h) { return (int) Math.max(1, PyMath.round(r2At512 / 512 * h)); }

    /** This config with the feature block lowered to the image size for models smaller than the block (e.g. 64 px). */
    public DragConfig fittedTo(int resolution) { return featureBlockRes > resolution ? withFeatureBlock(resolution) : this; }

    /** Distance at which a handle counts as arrived, at image height h. */
    public double stopDistance(int h) { return Math.max(stopMin, stopAt512 / 512 * h); }

    public DragConfig withLr(double v) { return new DragConfig(featureBlockRes, optimizedRows, v, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, supervision); }
    public DragConfig withLambda(double v) { return new DragConfig(featureBlockRes, optimizedRows, lr, v, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, supervision); }
    public DragConfig withTracker(Tracker t) { return new DragConfig(featureBlockRes, optimizedRows, lr, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, t, directSampling, templateWeight, moveMargin, supervision); }
    public DragConfig withDirectSampling(boolean v) { return new DragConfig(featureBlockRes, optimizedRows, lr, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, v, templateWeight, moveMargin, supervision); }
    public DragConfig withFeatureBlock(int res) { return new DragConfig(res, optimizedRows, lr, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, supervision); }
    public DragConfig withRadiiAt512(double r1, double r2) { return new DragConfig(featureBlockRes, optimizedRows, lr, lambdaMask, r1, r2, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, supervision); }
    public DragConfig withSupervision(Supervision v) { return new DragConfig(featureBlockRes, optimizedRows, lr, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, v); }
    public DragConfig withOptimizedRows(int n) { return new DragConfig(featureBlockRes, n, lr, lambdaMask, r1At512, r2At512, stopMin, stopAt512, superviseAbove, tracker, directSampling, templateWeight, moveMargin, supervision); }
}
