package io.github.dragganjvm.app;

/** A bad command line or bad input: printed as one line, exit status 2, no stack trace. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }
}
