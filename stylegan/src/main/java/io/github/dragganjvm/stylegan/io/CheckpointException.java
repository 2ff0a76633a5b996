package io.github.dragganjvm.stylegan.io;

import java.io.IOException;

/**
 * A checkpoint could not be loaded: it is malformed, truncated, not a StyleGAN2 generator we support, or it asks for
 * something we refuse to do (a pickle global outside the allow-list). The message names the file and says what was
 * expected and what was found.
 */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) { super(message); }

    public CheckpointException(String message, Throwable cause) { super(message, cause); }
}
