package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Checks a network's named tensors against the shapes its architecture needs and makes them trainable leaves. */
public final class NamedParameters {
    private NamedParameters() {}

    /**
     * Copies each tensor into a {@link Var#param} leaf on the current backend's device, in the order of
     * {@code shapes}. Every name of shapes must be present with that shape, no other name may appear, and all must
     * share one dtype, F32 or F64; otherwise one message lists every problem.
     *
     * @param owner       the network, for messages ("Discriminator")
     * @param description its configuration, for messages
     * @param namePrefix  prefix of the leaves' names in graph dumps ("D.")
     */
    public static Map<String, Var> leaves(String owner, String description, Map<String, int[]> shapes, Map<String, Tensor> tensors, String namePrefix) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) problems.add(e.getKey() + " is missing");
            else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue()));
            }
        }
        for (String k : tensors.keySet()) if (!shapes.containsKey(k)) problems.add(k + " is not a parameter of this " + owner);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(owner + ": parameters do not match " + description + ": " + String.join("; ", problems));
        }
        DType dt = null;
        Map<String, Var> p = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            Tensor t = tensors.get(name);
            if (dt == null) dt = t.dtype();
            if (t.dtype() != dt || !(dt == DType.F32 || dt == DType.F64)) {
                throw new IllegalArgumentException(owner + ": parameter '" + name + "' is " + t.dtype() + "; all must be one of F32, F64 (first was " + dt + ")");
            }
            p.put(name, Var.param(t.toHost().copy().toDevice(Backends.current().device())).named(namePrefix + name));
        }
        return p;
    }
}
