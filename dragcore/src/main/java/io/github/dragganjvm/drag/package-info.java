/**
 * DragGAN ("Drag Your GAN", Pan et al. 2023) on the JVM: motion supervision, point tracking, masks and the drag
 * session API, as pure functions of features and points, independent of any UI.
 *
 * <h2>Coordinates (stated once for the whole public API)</h2>
 * A point is {@code (x, y)} with <b>x = column</b> and <b>y = row</b>, in pixels of the generated image
 * ({@code 0 <= x, y <= resolution - 1}); pixel centres lie at integers. The reference code stores points as
 * (row, col); the conversion happens only at the edges (golden tests, the reference-compatible JSON).
 *
 * <h2>One iteration (the reference's {@code _render_drag_impl})</h2>
 * <pre>
 * ws = cat(w[:, :rows] (optimised), w0[:, rows:])                   // [1, num_ws, w_dim]
 * F  = resize(block b128 of synthesis(ws), h x h, bilinear, align_corners=False)
 * first iteration (and after the points changed): F0 = F, f0_i = F0[:, :, round(p_i.y), round(p_i.x)]
 * tracking (no grad): p_i = argmin over the (2 r2 + 1)^2 window around p_i of |F(q) - f0_i|_2
 * stop when every |t_i - p_i| &lt;= max(2, 2h/512)
 * loss = sum_i L1_mean over the disc(p_i, r1) of F(q) against F(q + d_i) (bilinear, align_corners=True)
 *        + lambda * L1_mean(F * m, F0 * m)     (m = 1 where fixed; only when the mask holds both 0 and 1)
 * Adam step on w[:, :rows]
 * </pre>
 * Adam, F0 and f0 outlive a run as in the reference renderer: Stop, then Start continues the same optimisation
 * (see {@link io.github.dragganjvm.drag.DragSession} for exactly what renews them). Under RANDOM noise each forward draws new noise,
 * from a stream seeded by the session's noise seed.
 * {@link io.github.dragganjvm.drag.DragConfig} holds every number; {@link io.github.dragganjvm.drag.MotionSupervision} and
 * {@link io.github.dragganjvm.drag.PointTracker} are the pure parts; {@link io.github.dragganjvm.drag.DragSession} is the stateful API
 * programs use.
 */
package io.github.dragganjvm.drag;
