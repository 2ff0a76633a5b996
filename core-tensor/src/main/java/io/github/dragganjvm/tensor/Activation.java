package io.github.dragganjvm.tensor;

/** Activations of the fused bias_act op. */
public enum Activation { LINEAR, LRELU }
