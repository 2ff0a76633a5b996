package draggan.tensor;

/**
 * A flat buffer of elements that one or more {@link Tensor}s view. Host storage is a Java array
 * ({@link HostStorage}); device backends (the CUDA module) add their own subclasses.
 */
public abstract class Storage {
    /** Element type of every element in this buffer. */
    public abstract DType dtype();

    /** Number of elements. */
    public abstract long length();

    /** Where the elements live. */
    public abstract Device device();
}
