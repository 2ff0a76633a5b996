package io.github.dragganjvm.tensor;

/**
 * The result of {@link Backend#windowNearest}: the window pixel whose feature is nearest to the query, and the two
 * smallest distances (for a confidence margin).
 *
 * @param index          row-major index of the nearest pixel inside the window (the first on ties)
 * @param distance       its distance (float32, see {@link Backend#windowNearest})
 * @param secondDistance the second smallest distance over the window's pixels (equal to distance when two pixels
 *                       tie; +Infinity for a one-pixel window)
 */
public record WindowNearest(int index, float distance, float secondDistance) {
    /**
     * The specification of the search over precomputed squared distances, one pass in row-major order: the
     * distance of pixel i is {@code (float) Math.sqrt(squared[i])}; a pixel replaces the best only when its distance
     * is strictly smaller, so ties keep the first (as torch.min over a flattened window). A NaN never replaces the
     * best and is never the second; a NaN at index 0 stays the best (its distance NaN) with the second the smallest
     * of the rest. Every backend's {@link Backend#windowNearest} equals this, bit for bit.
     *
     * @param squared the window's squared distances, row-major, at least one
     * @return index, best and second best distance
     */
    public static WindowNearest ofSquared(float[] squared) {
        if (squared.length == 0) throw new IllegalArgumentException("windowNearest: the window is empty");
        int best = 0;
        float bestV = (float) Math.sqrt(squared[0]), second = Float.POSITIVE_INFINITY;
        for (int i = 1; i < squared.length; i++) {
            float d = (float) Math.sqrt(squared[i]);
            if (d < bestV) {
                second = bestV;
                bestV = d;
                best = i;
            } else if (d < second) second = d;
        }
        return new WindowNearest(best, bestV, second);
    }
}
