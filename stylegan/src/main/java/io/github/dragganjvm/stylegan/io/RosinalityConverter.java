package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NumpyRandom;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts a rosinality stylegan2-pytorch checkpoint (torch.save of {@code {"g_ema": state_dict, "latent_avg": w,
 * "g", "d", "args", ...}}, or a bare g_ema state dict) into NVlabs naming.
 *
 * <p><b>Values need no rescaling.</b> Both ports store what the TF original stored and apply the same runtime
 * scales: EqualLinear keeps weight/lr_mul and multiplies by lr_mul/sqrt(fan_in) (bias by lr_mul) exactly like
 * NVlabs' FullyConnectedLayer (weight_gain, bias_gain); the modulated conv multiplies by 1/sqrt(fan_in) before
 * demodulation, which cancels (NVlabs applies no scale there), and ToRGB's 1/sqrt(C) equals NVlabs' weight_gain.
 * So every tensor is copied with a new name and shape; only the FIR kernels differ, by the up-sampling gain 4
 * that rosinality folds in and NVlabs applies at run time (an exact division). The one numerical difference of the
 * two ports is where demodulation's 1e-8 lands (before vs after the 1/sqrt(fan_in) scale): a converted model
 * matched rosinality's own generator to 3.8e-6.
 *
 * <p>Name map: {@code style.{i+1}} = mapping.fc{i}; {@code input.input} = b4.const; {@code conv1} = b4.conv1;
 * {@code convs.{2k}, convs.{2k+1}} = b(8*2^k).conv0, conv1; {@code to_rgb1} = b4.torgb; {@code to_rgbs.{k}} =
 * b(8*2^k).torgb; {@code *.conv.modulation} = affine; {@code *.noise.weight} = noise_strength;
 * {@code *.activate.bias} = bias; {@code noises.noise_{i}} = the i-th layer's noise_const; {@code latent_avg} =
 * mapping.w_avg. A .pt carries no hyper-parameters: resolution, mapping depth and channels are inferred from names
 * and shapes; lr multiplier 0.01 and no clamp are rosinality's conventions.
 */
final class RosinalityConverter {
    private RosinalityConverter() {}

    /** rosinality Generator's default lr_mlp. */
    static final double ROSINALITY_MAPPING_LR = 0.01;
    /** Samples for estimating w_avg when the file has no latent_avg (rosinality's generate.py uses 4096 too). */
    static final int W_AVG_SAMPLES = 4096, W_AVG_BATCH = 256;

    static NvlabsNetwork.Result convert(String file, Object top) throws IOException {
        if (top instanceof TensorRef) throw new CheckpointException(file + ": the file holds a single tensor, not a generator checkpoint");
        if (!(top instanceof Map<?, ?> d)) throw new CheckpointException(file + ": the file holds a " + Py.typeName(top) + "; expected a dict with g_ema");
        Map<?, ?> sd;
        Object latentAvg = null;
        if (d.containsKey("g_ema")) {
            if (!(d.get("g_ema") instanceof Map<?, ?> m)) throw new CheckpointException(file + ": g_ema is a " + Py.typeName(d.get("g_ema")) + ", not a state dict");
            sd = m;
            latentAvg = d.get("latent_avg");
        } else if (d.containsKey("style.1.weight")) {
            sd = d;
        } else {
            throw new CheckpointException(file + ": no 'g_ema' state dict (keys: " + NvlabsNetwork.keys(d) + "); expected a rosinality stylegan2-pytorch checkpoint"
                    + (d.containsKey("G_ema") ? " (G_ema suggests an NVlabs network saved with torch.save, which is not supported; use the .pkl)" : ""));
        }
        Map<String, TensorRef> src = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : sd.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TensorRef t)) {
                throw new CheckpointException(file + ": g_ema entry " + (e.getKey() instanceof String k2 ? SafeUnpickler.printable(k2) : Py.typeName(e.getKey()))
                        + " is a " + Py.typeName(e.getValue()) + ", not a tensor");
            }
            src.put(k, t);
        }
        List<String> notes = new ArrayList<>();
        Set<String> used = new HashSet<>();
        Reader r = new Reader(file, src, used);

        // ---- structure from names and shapes
        int layers = 0;
        while (src.containsKey("style." + (layers + 1) + ".weight")) layers++;
        if (layers == 0) throw new CheckpointException(file + ": g_ema has no style.1.weight (the first mapping layer)");
        int numRgbs = 0;
        while (src.containsKey("to_rgbs." + numRgbs + ".conv.weight")) numRgbs++;
        int res = 4 << numRgbs;
        if (numRgbs > 16) throw new CheckpointException(file + ": " + numRgbs + " to_rgbs layers is not a plausible generator");
        int[] resolutions = new int[numRgbs + 1];
        int[] channels = new int[numRgbs + 1];
        resolutions[0] = 4;
        channels[0] = r.peekShape("input.input", 4)[1];
        for (int k = 0; k < numRgbs; k++) {
            resolutions[k + 1] = 8 << k;
            channels[k + 1] = r.peekShape("convs." + 2 * k + ".conv.weight", 5)[1];
        }
        int[] cb = Checkpoints.inferChannels(resolutions, channels, file);
        int[] fc0 = r.peekShape("style.1.weight", 2), fcLast = r.peekShape("style." + layers + ".weight", 2);
        int imgChannels = r.peekShape("to_rgb1.conv.weight", 5)[1];
        GeneratorConfig config;
        try {
            config = new GeneratorConfig(fc0[1], fcLast[0], 0, res, imgChannels, layers, ROSINALITY_MAPPING_LR, cb[0], cb[1], null, 0, "skip");
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }

        // ---- names and shapes against the config, then every layout against its storage; only then data
        checkShapes(config, src, latentAvg, file);
        Map<String, TensorRef> all = new LinkedHashMap<>(src);
        if (latentAvg instanceof TensorRef t) all.put("latent_avg", t);
        TensorRef.checkAll(all, "", file);
        Tensor const0 = r.get("input.input", 4);

        // ---- tensors, in NVlabs order
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (int i = 0; i < layers; i++) {
            p.put("mapping.fc" + i + ".weight", r.get("style." + (i + 1) + ".weight", 2));
            p.put("mapping.fc" + i + ".bias", r.get("style." + (i + 1) + ".bias", 1));
        }
        if (latentAvg != null) {
            if (!(latentAvg instanceof TensorRef t)) throw new CheckpointException(file + ": latent_avg is a " + Py.typeName(latentAvg) + ", not a tensor");
            Tensor w = t.toF32("latent_avg", file);
            p.put("mapping.w_avg", w.reshapeView(w.numel()));
        }
        p.put("synthesis.b4.const", reshape(const0, "input.input", file, channels[0], 4, 4));
        layer(p, r, "synthesis.b4.conv1.", "conv1.", "noises.noise_0", file);
        torgb(p, r, "synthesis.b4.torgb.", "to_rgb1.", file);
        for (int k = 0; k < numRgbs; k++) {
            String b = "synthesis.b" + (8 << k) + ".";
            layer(p, r, b + "conv0.", "convs." + 2 * k + ".", "noises.noise_" + (2 * k + 1), file);
            p.put(b + "conv0.resample_filter", unfoldGain(r.get("convs." + 2 * k + ".conv.blur.kernel", 2)));
            layer(p, r, b + "conv1.", "convs." + (2 * k + 1) + ".", "noises.noise_" + (2 * k + 2), file);
            torgb(p, r, b + "torgb.", "to_rgbs." + k + ".", file);
            p.put(b + "resample_filter", unfoldGain(r.get("to_rgbs." + k + ".upsample.kernel", 2)));
        }
        List<String> unknown = new ArrayList<>();
        for (String k : src.keySet()) if (!used.contains(k)) unknown.add(k);
        if (!unknown.isEmpty()) {
            throw new CheckpointException(file + ": g_ema has tensors this converter does not know (" + unknown.subList(0, Math.min(6, unknown.size()))
                    + (unknown.size() > 6 ? " and " + (unknown.size() - 6) + " more" : "") + "); not a plain rosinality StyleGAN2 generator of resolution " + res);
        }
        if (!p.containsKey("mapping.w_avg")) {
            Checkpoints.validate(config, p, file, false);
            p.put("mapping.w_avg", estimateWAvg(config, p));
            notes.add("no latent_avg in the file: mapping.w_avg estimated as the mean of mapping(z) over " + W_AVG_SAMPLES
                    + " z from NumPy RandomState(0).randn");
        }
        return new NvlabsNetwork.Result(config, p, notes);
    }

    /**
     * Checks the state dict's names and shapes against the config inferred from it, before any tensor is read: every
     * tensor of a rosinality StyleGAN2 generator of that config present with its shape (the FIR kernels 2-D, latent_avg
     * w_dim elements), nothing else; all problems listed.
     */
    private static void checkShapes(GeneratorConfig c, Map<String, TensorRef> src, Object latentAvg, String file) throws CheckpointException {
        Map<String, int[]> want = new LinkedHashMap<>();
        int w = c.wDim();
        for (int i = 1; i <= c.mappingLayers(); i++) {
            want.put("style." + i + ".weight", new int[] {w, i == 1 ? c.zDim() : w});
            want.put("style." + i + ".bias", new int[] {w});
        }
        int c4 = c.channels(4);
        want.put("input.input", new int[] {1, c4, 4, 4});
        expectLayer(want, "conv1.", c4, c4, w);
        expectRgb(want, "to_rgb1.", c4, c);
        want.put("noises.noise_0", new int[] {1, 1, 4, 4});
        int[] res = c.blockResolutions();
        for (int k = 0; k + 1 < res.length; k++) {
            int r = res[k + 1], in = c.channels(res[k]), out = c.channels(r);
            expectLayer(want, "convs." + 2 * k + ".", in, out, w);
            want.put("convs." + 2 * k + ".conv.blur.kernel", null);
            expectLayer(want, "convs." + (2 * k + 1) + ".", out, out, w);
            expectRgb(want, "to_rgbs." + k + ".", out, c);
            want.put("to_rgbs." + k + ".upsample.kernel", null);
            want.put("noises.noise_" + (2 * k + 1), new int[] {1, 1, r, r});
            want.put("noises.noise_" + (2 * k + 2), new int[] {1, 1, r, r});
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> e : want.entrySet()) {
            TensorRef t = src.get(e.getKey());
            if (t == null) problems.add("g_ema has no " + e.getKey());
            else if (e.getValue() == null ? t.size.length != 2 : !java.util.Arrays.equals(t.size, e.getValue())) {
                problems.add(e.getKey() + " has shape " + java.util.Arrays.toString(t.size) + ", expected "
                        + (e.getValue() == null ? "a 2-D FIR kernel" : java.util.Arrays.toString(e.getValue())));
            }
        }
        for (String k : src.keySet()) if (!want.containsKey(k)) problems.add(k + " is a tensor this converter does not know");
        if (latentAvg instanceof TensorRef t && t.numel() != w) {
            problems.add("latent_avg has shape " + java.util.Arrays.toString(t.size) + ", expected " + w + " elements");
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": g_ema's tensors do not match a rosinality StyleGAN2 generator " + c + ": "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
                    + (problems.size() > 8 ? "; and " + (problems.size() - 8) + " more" : ""));
        }
    }

    private static void expectLayer(Map<String, int[]> want, String ros, int in, int out, int w) {
        want.put(ros + "conv.weight", new int[] {1, out, in, 3, 3});
        want.put(ros + "conv.modulation.weight", new int[] {in, w});
        want.put(ros + "conv.modulation.bias", new int[] {in});
        want.put(ros + "noise.weight", new int[] {1});
        want.put(ros + "activate.bias", new int[] {out});
    }

    private static void expectRgb(Map<String, int[]> want, String ros, int in, GeneratorConfig c) {
        want.put(ros + "conv.weight", new int[] {1, c.imgChannels(), in, 1, 1});
        want.put(ros + "conv.modulation.weight", new int[] {in, c.wDim()});
        want.put(ros + "conv.modulation.bias", new int[] {in});
        want.put(ros + "bias", new int[] {1, c.imgChannels(), 1, 1});
    }

    private static void layer(Map<String, Tensor> p, Reader r, String nv, String ros, String noise, String file) throws IOException {
        Tensor w = r.get(ros + "conv.weight", 5);
        p.put(nv + "weight", squeeze0(w, ros + "conv.weight", file));
        p.put(nv + "bias", r.get(ros + "activate.bias", 1));
        p.put(nv + "affine.weight", r.get(ros + "conv.modulation.weight", 2));
        p.put(nv + "affine.bias", r.get(ros + "conv.modulation.bias", 1));
        Tensor ns = r.get(ros + "noise.weight", 1);
        if (ns.numel() != 1) throw new CheckpointException(file + ": " + ros + "noise.weight has " + ns.numel() + " elements, expected 1");
        p.put(nv + "noise_strength", ns.reshapeView());
        Tensor nc = r.get(noise, 4);
        p.put(nv + "noise_const", reshape(nc, noise, file, nc.size(2), nc.size(3)));
    }

    private static void torgb(Map<String, Tensor> p, Reader r, String nv, String ros, String file) throws IOException {
        p.put(nv + "weight", squeeze0(r.get(ros + "conv.weight", 5), ros + "conv.weight", file));
        Tensor b = r.get(ros + "bias", 4);
        p.put(nv + "bias", reshape(b, ros + "bias", file, b.size(1)));
        p.put(nv + "affine.weight", r.get(ros + "conv.modulation.weight", 2));
        p.put(nv + "affine.bias", r.get(ros + "conv.modulation.bias", 1));
    }

    /** rosinality stores the FIR kernel times up^2 = 4; NVlabs stores it normalised and applies the gain at run time. */
    private static Tensor unfoldGain(Tensor k) {
        float[] v = k.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] / 4f;
        return Tensor.of(v, k.shape());
    }

    private static Tensor squeeze0(Tensor t, String name, String file) throws CheckpointException {
        if (t.size(0) != 1) throw new CheckpointException(file + ": " + name + " has leading dimension " + t.size(0) + ", expected 1");
        return t.squeezeView(0);
    }

    private static Tensor reshape(Tensor t, String name, String file, int... shape) throws CheckpointException {
        long n = 1;
        for (int s : shape) n *= s;
        if (n != t.numel()) {
            throw new CheckpointException(file + ": " + name + " of shape " + java.util.Arrays.toString(t.shape()) + " cannot be "
                    + java.util.Arrays.toString(shape));
        }
        return t.reshapeView(shape);
    }

    /** Reads tensors by rosinality name, checks their rank, remembers which were used. */
    private record Reader(String file, Map<String, TensorRef> src, Set<String> used) {
        Tensor get(String name, int rank) throws IOException {
            TensorRef t = ref(name, rank);
            used.add(name);
            return t.toF32(name, file);
        }

        int[] peekShape(String name, int rank) throws CheckpointException { return ref(name, rank).size.clone(); }

        private TensorRef ref(String name, int rank) throws CheckpointException {
            TensorRef t = src.get(name);
            if (t == null) throw new CheckpointException(file + ": g_ema has no " + name + " (expected in a rosinality StyleGAN2 generator)");
            if (t.size.length != rank) {
                throw new CheckpointException(file + ": " + name + " has shape " + java.util.Arrays.toString(t.size) + ", expected " + rank + " dimensions");
            }
            return t;
        }
    }

    /**
     * w_avg as rosinality's mean_latent computes it: the mean of mapping(z) over many z, with the project's own
     * mapping network ({@link Generator#mappingW}), built with a placeholder w_avg that the mapping does not read.
     */
    static Tensor estimateWAvg(GeneratorConfig c, Map<String, Tensor> p) {
        Map<String, Tensor> placeholder = new LinkedHashMap<>(p);
        placeholder.put("mapping.w_avg", Tensor.zeros(c.wDim()));
        Generator g = new Generator(c, placeholder);
        NumpyRandom rng = new NumpyRandom(0);
        Tensor sum = null;
        for (int done = 0; done < W_AVG_SAMPLES; done += W_AVG_BATCH) {
            Tensor s = Ops.sum(g.mappingW(rng.randn(W_AVG_BATCH, c.zDim()).copyAs(DType.F32)), false, 0);   // [w_dim]
            sum = sum == null ? s : Ops.add(sum, s);
        }
        return Ops.scale(sum, 1.0 / W_AVG_SAMPLES).toHost();
    }
}
