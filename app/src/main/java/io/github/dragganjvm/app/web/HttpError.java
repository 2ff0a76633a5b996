package io.github.dragganjvm.app.web;

/**
 * A request the server refuses, with the HTTP status and a message in words for the page's status line. It becomes
 * the response {@code {"error": message}}; no stack trace ever leaves the server.
 */
final class HttpError extends RuntimeException {
    final int status;
    final String allow;     // the Allow header of a 405
    final int retryAfterSeconds;    // the Retry-After header of a 503, 0: none

    HttpError(int status, String message) {
        this(status, message, null, 0);
    }

    private HttpError(int status, String message, String allow, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 405 with the methods the path accepts. */
    static HttpError methodNotAllowed(String method, String... allowed) {
        return new HttpError(405, "method " + method + " is not allowed here (use " + String.join(" or ", allowed) + ")", String.join(", ", allowed), 0);
    }

    /** 503 for a moment: the client may try again after retryAfterSeconds. */
    static HttpError busy(String message, int retryAfterSeconds) { return new HttpError(503, message, null, retryAfterSeconds); }

    /** 400: the request is malformed or its values are invalid. */
    static HttpError badRequest(String message) { return new HttpError(400, message); }

    /** 404: no such session or path. */
    static HttpError notFound(String message) { return new HttpError(404, message); }

    /** 409: valid, but not now (e.g. a drag is running). */
    static HttpError conflict(String message) { return new HttpError(409, message); }
}
