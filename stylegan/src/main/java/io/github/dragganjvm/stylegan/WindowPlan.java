package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.stylegan.Generator.Window;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Which rectangles of every block a windowed synthesis computes ({@link Generator.Request#windows()}), planned from
 * the last block down: a block's rectangles are what its conv1 must output; conv1 reads each grown by
 * {@link Window#throughConv}, conv0 reads that grown by {@link Window#throughUp} on the block below, and those
 * input rectangles, {@link #merged} where they overlap, are the rectangles the block below must output. Every
 * rectangle is in its block's own columns (a half-width block's, not its square frame's).
 *
 * <p>Rectangles are merged when they intersect or when their bounding box costs no more than the two (area);
 * each input rectangle then lies inside exactly the merged rectangle {@link #source} names. So distant handles
 * keep small rectangles up to the block where their receptive fields meet, and share one below it.
 */
final class WindowPlan {
    private final List<List<Window>> out = new ArrayList<>(), mid = new ArrayList<>(), in = new ArrayList<>();
    private final List<int[]> source = new ArrayList<>();

    /**
     * @param top         the rectangles asked of the last block (own columns)
     * @param resolutions the generator's block resolutions
     * @param n           blocks computed: 0 .. n-1
     * @param aspect      the blocks' aspect (their widths)
     */
    WindowPlan(List<Window> top, int[] resolutions, int n, GeneratorConfig.Aspect aspect) {
        for (int i = 0; i < n; i++) {
            out.add(null);
            mid.add(null);
            in.add(null);
            source.add(null);
        }
        out.set(n - 1, merged(top));
        for (int i = n - 1; i >= 0; i--) {
            int r = resolutions[i], w = aspect.width(r);
            List<Window> m = new ArrayList<>();
            for (Window o : out.get(i)) m.add(o.throughConv(r, w));
            mid.set(i, m);
            if (i == 0) break;
            List<Window> ins = new ArrayList<>();
            for (Window x : m) ins.add(x.throughUp(r, w));
            List<Window> below = merged(ins);
            int[] src = new int[ins.size()];
            for (int j = 0; j < ins.size(); j++) src[j] = containing(below, ins.get(j));
            in.set(i, ins);
            source.set(i, src);
            out.set(i - 1, below);
        }
    }

    /** The rectangles block i outputs. */
    List<Window> out(int i) { return out.get(i); }

    /** What block i's conv1 reads for its rectangle j (its conv0's output). */
    Window mid(int i, int j) { return mid.get(i).get(j); }

    /** What block i's conv0 reads for its rectangle j, on the block below (i > 0). */
    Window in(int i, int j) { return in.get(i).get(j); }

    /** The rectangle of block i - 1 that holds {@link #in}(i, j) (i > 0). */
    int source(int i, int j) { return source.get(i)[j]; }

    /** Index of the first rectangle of {@code list} that contains w. */
    static int containing(List<Window> list, Window w) {
        for (int k = 0; k < list.size(); k++) if (list.get(k).contains(w)) return k;
        throw new IllegalStateException("WindowPlan: no rectangle of " + list + " contains " + w);
    }

    /**
     * The rectangles with every pair that intersects, or whose bounding box has no more area than the two, replaced
     * by that bounding box, until no such pair is left; each input lies inside one of the results.
     */
    static List<Window> merged(List<Window> ws) {
        List<Window> list = new ArrayList<>(ws);
        boolean again = true;
        while (again) {
            again = false;
            search:
            for (int a = 0; a < list.size(); a++) {
                for (int b = a + 1; b < list.size(); b++) {
                    Window p = list.get(a), q = list.get(b), box = p.union(q);
                    if (p.intersects(q) || box.area() <= p.area() + q.area()) {
                        list.set(a, box);
                        list.remove(b);
                        again = true;
                        break search;
                    }
                }
            }
        }
        return List.copyOf(list);
    }
}
