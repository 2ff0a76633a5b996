package io.github.dragganjvm.cuda.internal;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static jcuda.driver.JCudaDriver.*;

/**
 * A real GPU through JCuda's driver API (needs only libcuda.so.1). Uses the device's primary context and the legacy
 * default stream; loads every PTX module at start (PTX for compute_90 on sm_90+, else compute_80; the driver JIT
 * compiles it once and caches the result), so a PTX the driver cannot load fails here, at backend creation.
 *
 * <p>Kernel execution errors surface at the next synchronising call; {@code -Ddraggan.cuda.sync=true} synchronises
 * after every launch so the failing kernel is named.
 */
public final class JCudaDevice implements CudaDriver {
    private static final ThreadLocal<JCudaDevice> CURRENT = new ThreadLocal<>();
    private static final CUdeviceptr ZERO = new CUdeviceptr();
    private static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("draggan.cuda.sync");

    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<Kernel, CUfunction> functions = new ConcurrentHashMap<>();
    private final int cc, sms;
    private final String description;
    private volatile String lastKernel = "(none)";

    /** A device pointer whose address we can read. */
    private static final class Allocation extends CUdeviceptr {
        long address() { return getNativePointer(); }
    }

    /** Opens device {@code ordinal}; throws with a one-line reason when it cannot run our kernels. */
    public JCudaDevice(int ordinal) {
        check(cuInit(0), "cuInit");
        int[] count = {0};
        check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (count[0] == 0) throw new IllegalStateException("no CUDA device (the driver sees 0 GPUs)");
        if (ordinal >= count[0]) throw new IllegalStateException("CUDA device " + ordinal + " requested but only " + count[0] + " present");
        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        int major = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        cc = major * 10 + minor;
        sms = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        byte[] name = new byte[256];
        check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        long[] mem = {0};
        check(cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
        int[] driverVersion = {0};
        check(cuDriverGetVersion(driverVersion), "cuDriverGetVersion");
        String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
        description = deviceName + ", compute " + major + "." + minor + ", " + sms + " SMs, "
                + String.format("%.1f GiB", mem[0] / 1073741824.0) + ", driver API " + driverVersion[0] / 1000 + "." + driverVersion[0] % 1000 / 10;
        if (cc < 80) {
            throw new IllegalStateException(deviceName + " has compute capability " + major + "." + minor
                    + "; our PTX targets compute_80 (Ampere) and newer");
        }
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        String arch = ptxArch(cc);
        for (String module : Kernels.MODULES) {
            byte[] ptx = readPtx(arch, module);
            CUmodule m = new CUmodule();
            int r = cuModuleLoadData(m, ptx);
            if (r != CUresult.CUDA_SUCCESS) {
                throw new IllegalStateException("PTX module " + module + " (compute_" + arch + ") failed to load: " + CUresult.stringFor(r)
                        + (r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? " (the driver is older than the PTX ISA 9.0 of CUDA 13; needs driver >= 580)" : ""));
            }
            modules.put(module, m);
        }
    }

    /** The PTX folder for a compute capability: "90" for sm_90 and newer, else "80". */
    public static String ptxArch(int computeCapability) { return computeCapability >= 90 ? "90" : "80"; }

    /** The committed PTX text of a module, NUL-terminated as cuModuleLoadData wants it. */
    static byte[] readPtx(String arch, String module) {
        String path = "/io/github/dragganjvm/cuda/ptx/" + arch + "/" + module + ".ptx";
        try (InputStream in = JCudaDevice.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("PTX resource " + path + " missing from the cuda-kernels jar");
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read PTX resource " + path + ": " + e.getMessage(), e);
        }
    }

    private int attribute(int attr) {
        int[] v = {0};
        check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute");
        return v[0];
    }

    private void makeCurrent() {
        if (CURRENT.get() != this) {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(this);
        }
    }

    private void check(int result, String call) {
        if (result == CUresult.CUDA_SUCCESS) return;
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) throw new CudaOutOfMemoryException(call + ": CUDA_ERROR_OUT_OF_MEMORY");
        throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result) + " (last kernel launched: " + lastKernel + ")");
    }

    private static CUdeviceptr at(long address) { return ZERO.withByteOffset(address); }

    @Override public String description() { return description; }
    @Override public int computeCapability() { return cc; }
    @Override public int multiprocessors() { return sms; }

    @Override public long malloc(long bytes) {
        makeCurrent();
        Allocation p = new Allocation();
        check(cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + ")");
        return p.address();
    }

    @Override public void free(long address) {
        makeCurrent();
        check(cuMemFree(at(address)), "cuMemFree");
    }

    @Override public void upload(long dst, float[] src, int from, int count) {
        makeCurrent();
        check(cuMemcpyHtoD(at(dst), Pointer.to(src).withByteOffset(4L * from), 4L * count), "cuMemcpyHtoD");
    }

    @Override public void upload(long dst, double[] src, int from, int count) {
        makeCurrent();
        check(cuMemcpyHtoD(at(dst), Pointer.to(src).withByteOffset(8L * from), 8L * count), "cuMemcpyHtoD");
    }

    @Override public void upload(long dst, int[] src, int from, int count) {
        makeCurrent();
        check(cuMemcpyHtoD(at(dst), Pointer.to(src).withByteOffset(4L * from), 4L * count), "cuMemcpyHtoD");
    }

    @Override public void download(long src, float[] dst, int from, int count) {
        makeCurrent();
        check(cuMemcpyDtoH(Pointer.to(dst).withByteOffset(4L * from), at(src), 4L * count), "cuMemcpyDtoH");
    }

    @Override public void download(long src, double[] dst, int from, int count) {
        makeCurrent();
        check(cuMemcpyDtoH(Pointer.to(dst).withByteOffset(8L * from), at(src), 8L * count), "cuMemcpyDtoH");
    }

    @Override public void download(long src, int[] dst, int from, int count) {
        makeCurrent();
        check(cuMemcpyDtoH(Pointer.to(dst).withByteOffset(4L * from), at(src), 4L * count), "cuMemcpyDtoH");
    }

    @Override public void copy(long dst, long src, long bytes) {
        makeCurrent();
        check(cuMemcpyDtoD(at(dst), at(src), bytes), "cuMemcpyDtoD");
    }

    @Override public void zero(long dst, long bytes) {
        makeCurrent();
        check(cuMemsetD8(at(dst), (byte) 0, bytes), "cuMemsetD8");
    }

    private CUfunction function(Kernel k) {
        return functions.computeIfAbsent(k, kk -> {
            CUmodule m = modules.get(kk.module());
            if (m == null) throw new IllegalStateException("no PTX module " + kk.module() + " loaded for kernel " + kk);
            CUfunction f = new CUfunction();
            check(cuModuleGetFunction(f, m, kk.name()), "cuModuleGetFunction(" + kk + ")");
            return f;
        });
    }

    @Override public void launch(Kernel k, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, KernelArgs args) {
        makeCurrent();
        Pointer[] params = new Pointer[args.size()];
        for (int i = 0; i < params.length; i++) {
            long v = args.bits(i);
            params[i] = switch (args.kind(i)) {
                case PTR -> Pointer.to(new long[]{v});
                case I32 -> Pointer.to(new int[]{(int) v});
                case F32 -> Pointer.to(new float[]{Float.intBitsToFloat((int) v)});
                case F64 -> Pointer.to(new double[]{Double.longBitsToDouble(v)});
                case INTS -> Pointer.to(args.struct(i));
            };
        }
        lastKernel = k.toString();
        check(cuLaunchKernel(function(k), gridX, gridY, gridZ, blockX, blockY, blockZ, 0, null, Pointer.to(params), null),
                "cuLaunchKernel(" + k + ", grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX + ")");
        if (SYNC_EACH_LAUNCH) check(cuCtxSynchronize(), "kernel " + k);
    }

    @Override public void synchronize() {
        makeCurrent();
        check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    @Override public void close() {
        makeCurrent();
        cuCtxSynchronize();
        cuDevicePrimaryCtxRelease(device);
        CURRENT.remove();
    }
}
