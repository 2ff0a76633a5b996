package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * The mapping network StyleGAN2 and StyleGAN3 share (NVlabs {@code MappingNetwork}, unconditional), with truncation:
 * <pre>
 *   x = z / sqrt(mean(z^2 over z_dim) + 1e-8)                      normalize_2nd_moment
 *   x = lrelu(x W_i^T * (lr_mul / sqrt(in)) + b_i * lr_mul) * sqrt 2   for each of num_layers FC layers (slope 0.2)
 *   ws[:, j] = x for every row j &lt; num_ws
 *   ws[:, j] = w_avg + psi (ws[:, j] - w_avg)                         for rows j &lt; cutoff (all when cutoff &lt; 0)
 * </pre>
 * The equalised-lr scales are folded into the weights once, when the network is built. No gradient flows through
 * it (DragGAN optimises ws, never z).
 */
public final class MappingNetwork {
    private static final double SLOPE = 0.2, GAIN = Math.sqrt(2), EPS = 1e-8;

    private final Tensor[] weights, biases;          // folded: [out, in] and [out]
    private final Tensor wAvg;                       // [w_dim]
    private final int zDim, wDim, numWs;

    /**
     * @param storedWeights the FC weights as checkpoints store them, fc i: [w_dim, in] (in = z_dim for fc0, else w_dim)
     * @param storedBiases  the FC biases, [w_dim] each
     * @param wAvg          the truncation centre [w_dim]
     * @param lrMultiplier  the mapping's learning-rate multiplier (0.01 in every NVlabs config)
     * @param numWs         rows of ws the synthesis network reads
     */
    public MappingNetwork(Tensor[] storedWeights, Tensor[] storedBiases, Tensor wAvg, double lrMultiplier, int numWs) {
        if (storedWeights.length != storedBiases.length || storedWeights.length == 0) {
            throw new IllegalArgumentException("MappingNetwork: " + storedWeights.length + " weights and " + storedBiases.length + " biases; expected the same number >= 1");
        }
        this.zDim = storedWeights[0].size(1);
        this.wDim = wAvg.size(0);
        this.numWs = numWs;
        this.wAvg = wAvg;
        weights = new Tensor[storedWeights.length];
        biases = new Tensor[storedBiases.length];
        for (int i = 0; i < weights.length; i++) {
            int in = storedWeights[i].size(1);
            weights[i] = Ops.scale(storedWeights[i], lrMultiplier / Math.sqrt(in)).markConstant();
            biases[i] = Ops.scale(storedBiases[i], lrMultiplier).markConstant();
        }
    }

    /** The truncation centre w_avg [w_dim]. */
    public Tensor wAvg() { return wAvg; }

    /**
     * z [N, z_dim] -> ws [N, num_ws, w_dim], truncated towards w_avg by psi in the rows below cutoff (all rows when
     * cutoff &lt; 0), as NVlabs' {@code torch.lerp(w_avg, w, psi)}.
     */
    public Tensor map(Tensor z, double psi, int cutoff) {
        if (z.dim() != 2 || z.size(1) != zDim) {
            throw new IllegalArgumentException("mapping: z must be [N, " + zDim + "] but is " + Arrays.toString(z.shape()));
        }
        if (!Double.isFinite(psi)) throw new IllegalArgumentException("mapping: psi must be finite but is " + psi);
        try (var ng = GradMode.noGrad()) {
            Var x = Var.constant(z.toDevice(Backends.current().device()));
            Var ms = ReduceOps.mean(ElementwiseOps.square(x), true, 1);
            x = ElementwiseOps.mul(x, ElementwiseOps.rsqrt(ElementwiseOps.affine(ms, 1, EPS)));
            for (int i = 0; i < weights.length; i++) {
                x = LinalgOps.matmul(x, Var.constant(weights[i].transposeView(0, 1)));
                x = ElementwiseOps.biasAct(x, Var.constant(biases[i]), 1, Activation.LRELU, SLOPE, GAIN, -1);
            }
            Tensor w = x.value();                                             // [N, w_dim]
            int nb = w.size(0);
            Tensor ws = w.unsqueezeView(1).expandView(nb, numWs, wDim).copy();  // [N, num_ws, w_dim]
            if (psi != 1) {
                int rows = cutoff < 0 ? numWs : Math.min(cutoff, numWs);
                Tensor part = ws.sliceView(1, 0, rows);
                Tensor avg = wAvg.unsqueezeView(0).unsqueezeView(0);            // [1, 1, w_dim]
                Ops.copyInto(Ops.add(avg, Ops.scale(Ops.sub(part, avg), psi)), part);
            }
            return ws;
        }
    }
}
