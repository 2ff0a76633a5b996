/**
 * The interactive editor behind {@code ./draggan edit}: a local web application served by the JVM.
 *
 * <p>{@link io.github.dragganjvm.app.web.EditorServer} serves the page (plain HTML/CSS/JS under {@code /io/github/dragganjvm/web/} on the
 * class path, nothing from the network) and a small JSON API on the JDK's built-in HTTP server, bound to
 * 127.0.0.1 unless told otherwise. Each browser tab gets its own {@code EditorSession} around a
 * {@link io.github.dragganjvm.drag.DragSession}; the sessions live in the {@code Editor}, which bounds their number, closes
 * idle ones and runs all computation on its own pools (drags and session loads on one, rendering and encoding on
 * another), so request threads only validate and answer. A running drag reports every step, and images as often
 * as encoding keeps up, over server-sent events.
 *
 * <p>Every request is validated before anything changes: unknown sessions (404), malformed or unknown JSON,
 * off-image or non-finite points, masks of the wrong size (400), oversized bodies (413), edits during a drag (409)
 * each come back as {@code {"error": "words"}}; nothing is changed by a refused request.
 */
package io.github.dragganjvm.app.web;
