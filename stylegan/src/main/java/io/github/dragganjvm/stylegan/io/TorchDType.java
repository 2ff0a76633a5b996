package io.github.dragganjvm.stylegan.io;

/** The element types of torch storages, by their pickled class name ({@code torch.FloatStorage}, ...). */
enum TorchDType {
    FLOAT32("FloatStorage", 4, true),
    FLOAT64("DoubleStorage", 8, true),
    FLOAT16("HalfStorage", 2, true),
    BFLOAT16("BFloat16Storage", 2, true),
    INT64("LongStorage", 8, false),
    INT32("IntStorage", 4, false),
    INT16("ShortStorage", 2, false),
    INT8("CharStorage", 1, false),
    UINT8("ByteStorage", 1, false),
    BOOL("BoolStorage", 1, false);

    final String storageClass;
    final int bytes;
    final boolean floating;

    TorchDType(String storageClass, int bytes, boolean floating) {
        this.storageClass = storageClass;
        this.bytes = bytes;
        this.floating = floating;
    }
}
