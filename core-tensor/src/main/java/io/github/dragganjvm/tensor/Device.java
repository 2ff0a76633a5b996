package io.github.dragganjvm.tensor;

/** Where a tensor's storage lives. Ops run on the backend of their inputs' device. */
public enum Device { CPU, CUDA }
