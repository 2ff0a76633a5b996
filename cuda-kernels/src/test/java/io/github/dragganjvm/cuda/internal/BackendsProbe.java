package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Device;

/** Run in a child JVM by BackendAvailabilityTest: exercises Backends' one-time selection and prints what happens. */
public final class BackendsProbe {
    public static void main(String[] args) {
        try {
            System.out.println("current=" + Backends.current().name());
            System.out.println("current again=" + Backends.current().name());
        } catch (RuntimeException e) {
            System.out.println("current failed: " + e.getMessage());
        }
        for (int i = 0; i < 2; i++) {
            try {
                System.out.println("forDevice(CUDA)=" + Backends.forDevice(Device.CUDA).name());
            } catch (RuntimeException e) {
                System.out.println("forDevice(CUDA) failed: " + e.getMessage());
            }
        }
    }
}
