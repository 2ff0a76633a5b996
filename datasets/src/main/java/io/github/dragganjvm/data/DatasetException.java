package io.github.dragganjvm.data;

/**
 * A data source cannot be opened or read: a missing folder, a corrupt or unsupported image, inconsistent sizes,
 * a size limit exceeded. The message is one line naming the folder or file, what was expected and what was found.
 * It is an {@link IllegalArgumentException} because the cause is always the data the caller pointed at.
 */
public final class DatasetException extends IllegalArgumentException {
    public DatasetException(String message) { super(message); }

    public DatasetException(String message, Throwable cause) { super(message, cause); }
}
