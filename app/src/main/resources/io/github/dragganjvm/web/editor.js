// The DragGAN editor page: one session per tab on the JVM server (see io.github.dragganjvm.app.web.EditorServer for the API).
// Points are [x, y] in image pixels, x = column, y = row, pixel centres at integers.
'use strict';

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');

const S = {
  id: null, res: 256, w: 256, h: 256, info: null,
  image: null,                 // ImageBitmap of the latest image or frame
  imageVersion: -1,
  pairs: [],                   // [{h: [x, y], t: [x, y] | null}]; a pair with t null is a handle waiting for its target
  mask: null,                  // Uint8Array res*res, 1 = flexible (may move)
  maskCanvas: document.createElement('canvas'),
  busy: null,                  // null, 'drag' or 'load' (from the server)
  canUndo: false, frames: 0,
  drag: null,                  // marker being dragged: {i, which: 'h' | 't', moved}
  painting: false, lastPaint: null,
  events: null,
  lastRun: 0, lastStep: 0,     // the newest step shown
  stats: { frames: 0, steps: 0, firstFrameAt: 0, lastFrameAt: 0, run: 0, fpsWindow: [], stepAt: new Map(), latencies: [], replaced: 0 },
};

// ------------------------------------------------------------------ server calls

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// Calls the API: JSON answers come back parsed, others (and every answer when asBlob) as a Blob; errors throw.
async function api(method, path, body, asBlob) {
  const opt = { method, headers: {} };
  if (method !== 'GET') {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = body === undefined ? '{}' : (typeof body === 'string' ? body : JSON.stringify(body));
  }
  let r;
  try {
    r = await fetch(path, opt);
  } catch (e) {
    throw new ApiError(0, 'the server does not answer (is ./draggan edit still running?)');
  }
  const type = r.headers.get('Content-Type') || '';
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    if (type.includes('json')) msg = (await r.json()).error || msg;
    throw new ApiError(r.status, msg);
  }
  return type.includes('json') && !asBlob ? r.json() : r.blob();
}

const sessionPath = (what) => `/api/sessions/${S.id}${what ? '/' + what : ''}`;   // what '' : the session itself

// Runs an action, reporting failures in the status line; a vanished session is replaced by a fresh one.
async function act(fn) {
  try {
    return await fn();
  } catch (e) {
    status(e.message, 'error');
    if (e.status === 404 && /unknown session/.test(e.message)) await newSession(true);
  }
}

// ------------------------------------------------------------------ status and controls

function status(text, kind) {
  const el = $('status');
  el.textContent = text;
  el.className = kind || '';
}

function updateControls() {
  const busy = S.busy !== null;
  for (const id of ['new-image', 'random-image', 'start', 'reset', 'clear-mask', 'clear-points', 'save-session', 'load-session', 'save-png', 'seed', 'psi', 'noise', 'lr', 'lambda', 'max-steps', 'tracker', 'supervision']) {
    $(id).disabled = busy;
  }
  $('undo').disabled = busy || !S.canUndo;
  $('export-gif').disabled = busy || S.frames === 0;
  $('stop').disabled = !busy;
  $('start').disabled = busy || !S.pairs.some((p) => p.t);
  const list = $('pairs');
  list.replaceChildren(...S.pairs.map((p, i) => {
    const li = document.createElement('li');
    li.textContent = `${fmt(p.h)} → ${p.t ? fmt(p.t) : '(click its target)'}`;
    const b = document.createElement('button');
    b.textContent = '×';
    b.title = 'remove this pair';
    b.disabled = busy;
    b.onclick = () => removePair(i);
    li.append(b);
    return li;
  }));
}

const fmt = (p) => `${Math.round(p[0])},${Math.round(p[1])}`;

// ------------------------------------------------------------------ drawing

let drawQueued = false;
function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const W = canvas.width, H = canvas.height, k = W / S.w;
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, W, H);
    if (S.image) ctx.drawImage(S.image, 0, 0, W, H);
    if ($('show-mask').checked && S.mask) ctx.drawImage(S.maskCanvas, 0, 0, W, H);
    const r = Math.max(5, W / 90);
    S.pairs.forEach((p, i) => {
      const hx = (p.h[0] + 0.5) * k, hy = (p.h[1] + 0.5) * k;
      if (p.t) {
        const tx = (p.t[0] + 0.5) * k, ty = (p.t[1] + 0.5) * k;
        arrow(hx, hy, tx, ty, r);
        dot(tx, ty, r, '#3070ff');
      }
      dot(hx, hy, r, '#ff3030');
      ctx.fillStyle = '#fff';
      ctx.font = `bold ${Math.round(r * 2)}px system-ui, sans-serif`;
      ctx.fillText(String(i + 1), hx + r * 1.2, hy - r * 1.2);
    });
  });
}

function dot(x, y, r, color) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = '#fff';
  ctx.stroke();
}

function arrow(x0, y0, x1, y1, r) {
  const a = Math.atan2(y1 - y0, x1 - x0), len = 2.2 * r;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = Math.max(2, r / 2.5);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - len * Math.cos(a - 0.5), y1 - len * Math.sin(a - 0.5));
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - len * Math.cos(a + 0.5), y1 - len * Math.sin(a + 0.5));
  ctx.stroke();
}

async function showPng(blob) {
  S.image = await createImageBitmap(blob);
  draw();
}

function base64Blob(b64, type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

async function loadImage(version) {
  const blob = await api('GET', sessionPath(`image.png?v=${version}`));
  if (version >= S.imageVersion) await showPng(blob);
}

// ------------------------------------------------------------------ the mask (painted here, sent as run lengths)

function resetMask() {
  S.mask = new Uint8Array(S.w * S.h);
  S.maskCanvas.width = S.w;
  S.maskCanvas.height = S.h;
  repaintMask(0, 0, S.w, S.h);
}

function repaintMask(x0, y0, x1, y1) {
  const w = x1 - x0, h = y1 - y0;
  if (w <= 0 || h <= 0) return;
  const img = new ImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      if (S.mask[(y + y0) * S.w + x + x0]) { img.data[o] = 255; img.data[o + 1] = 255; img.data[o + 2] = 255; img.data[o + 3] = 90; }
    }
  }
  S.maskCanvas.getContext('2d').putImageData(img, x0, y0);
}

function paintDisc(cx, cy, radius, value) {
  const x0 = Math.max(0, Math.floor(cx - radius)), x1 = Math.min(S.w - 1, Math.ceil(cx + radius));
  const y0 = Math.max(0, Math.floor(cy - radius)), y1 = Math.min(S.h - 1, Math.ceil(cy + radius));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) S.mask[y * S.w + x] = value;
    }
  }
  repaintMask(x0, y0, x1 + 1, y1 + 1);
}

function paintTo(p, value) {
  const radius = Number($('brush').value);
  const from = S.lastPaint || p;
  const n = Math.max(1, Math.ceil(Math.hypot(p[0] - from[0], p[1] - from[1]) / Math.max(1, radius / 2)));
  for (let i = 1; i <= n; i++) paintDisc(from[0] + (p[0] - from[0]) * i / n, from[1] + (p[1] - from[1]) * i / n, radius, value);
  S.lastPaint = p;
  draw();
}

function maskRuns() {
  const runs = [];
  let cur = 0, n = 0, any = false;
  for (const v of S.mask) {
    if (v === cur) n++;
    else { runs.push(n); cur = v; n = 1; any = true; }
  }
  runs.push(n);
  if (!any) return null;
  return S.w === S.h ? { size: S.w, flexibleRuns: runs } : { width: S.w, height: S.h, flexibleRuns: runs };
}

function maskFromRuns(m) {
  resetMask();
  if (m) {
    let at = 0, v = 0;
    for (const r of m.flexibleRuns) { if (v) S.mask.fill(1, at, at + r); at += r; v ^= 1; }
    repaintMask(0, 0, S.w, S.h);
  }
}

const sendMask = () => act(async () => { await api('PUT', sessionPath('mask'), { mask: maskRuns() }); });

// ------------------------------------------------------------------ points

function sendPoints() {
  const pairs = S.pairs.filter((p) => p.t).map((p) => ({ handle: p.h, target: p.t }));
  return act(async () => { applyState(await api('PUT', sessionPath('points'), { pairs })); });
}

function removePair(i) {
  S.pairs.splice(i, 1);
  updateControls();
  draw();
  sendPoints();
}

// Image pixel under a pointer event: [column, row], clamped to the image.
function pixelAt(e) {
  const b = canvas.getBoundingClientRect();
  const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.floor(v)));
  return [clamp((e.clientX - b.left) / b.width * S.w, S.w), clamp((e.clientY - b.top) / b.height * S.h, S.h)];
}

// The marker within 10 screen pixels of an event, nearest first.
function markerAt(e) {
  const b = canvas.getBoundingClientRect(), k = b.width / S.w;
  let best = null, bestD = 10;
  S.pairs.forEach((p, i) => {
    for (const which of ['t', 'h']) {
      const q = p[which];
      if (!q) continue;
      const d = Math.hypot(e.clientX - b.left - (q[0] + 0.5) * k, e.clientY - b.top - (q[1] + 0.5) * k);
      if (d < bestD) { bestD = d; best = { i, which, moved: false }; }
    }
  });
  return best;
}

const mode = () => document.querySelector('input[name=mode]:checked').value;
const same = (a, b) => a && b && Math.round(a[0]) === Math.round(b[0]) && Math.round(a[1]) === Math.round(b[1]);

canvas.addEventListener('contextmenu', (e) => {
  e.preventDefault();
  if (S.busy) return;
  const m = markerAt(e);
  if (m) removePair(m.i);
});

canvas.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  if (S.busy) { status('a drag is running: press Stop before editing', 'error'); return; }
  canvas.setPointerCapture(e.pointerId);
  if (mode() === 'points') {
    S.drag = markerAt(e);
    if (!S.drag) S.drag = { click: pixelAt(e) };
  } else {
    S.painting = true;
    S.lastPaint = null;
    paintTo(pixelAt(e), mode() === 'paint' ? 1 : 0);
  }
});

canvas.addEventListener('pointermove', (e) => {
  if (S.painting) paintTo(pixelAt(e), mode() === 'paint' ? 1 : 0);
  else if (S.drag && S.drag.which) {
    S.pairs[S.drag.i][S.drag.which] = pixelAt(e);
    S.drag.moved = true;
    draw();
  }
});

canvas.addEventListener('pointerup', (e) => {
  if (S.painting) {
    S.painting = false;
    sendMask();
    return;
  }
  const d = S.drag;
  S.drag = null;
  if (!d) return;
  if (d.which) {
    const p = S.pairs[d.i];
    if (!d.moved) {
      if (!p.t) status('a target equals its handle: click somewhere else for the target', 'error');
      return;
    }
    if (same(p.h, p.t)) { status(`pair ${d.i + 1}: a target equals its handle; move one of them`, 'error'); return; }
    status(`moved pair ${d.i + 1}`);
    updateControls();
    sendPoints();
    return;
  }
  const q = d.click, last = S.pairs[S.pairs.length - 1];
  if (last && !last.t) {
    if (same(last.h, q)) { status('a target equals its handle: click somewhere else for the target', 'error'); return; }
    last.t = q;
    status(`pair ${S.pairs.length}: handle ${fmt(last.h)} → target ${fmt(q)}`);
    sendPoints();
  } else {
    S.pairs.push({ h: q, t: null });
    status(`handle ${S.pairs.length} at ${fmt(q)}: now click its target`);
  }
  updateControls();
  draw();
});

// ------------------------------------------------------------------ server state and events

// Takes the server's state; `full` (a new or loaded session) also takes its mask and settings into the form.
function applyState(st, full) {
  S.busy = st.busy;
  S.canUndo = st.canUndo;
  S.frames = st.frames;
  if (!S.drag) {
    const pending = S.pairs.filter((p) => !p.t);
    S.pairs = st.pairs.map((p) => ({ h: p.handle, t: p.target })).concat(pending);
  }
  if (full) {
    maskFromRuns(st.mask);
    $('lr').value = st.config.lr;
    $('lambda').value = st.config.lambda;
    $('tracker').value = st.config.tracker;
    $('supervision').value = st.config.supervision;
    if (st.seed !== null) $('seed').value = st.seed;
    if (st.psi !== null) $('psi').value = st.psi;
    $('noise').value = st.noise;
  }
  if (st.imageVersion !== S.imageVersion && !st.busy) {
    S.imageVersion = st.imageVersion;
    act(() => loadImage(st.imageVersion));
  }
  updateControls();
  draw();
}

function connectEvents() {
  if (S.events) S.events.close();
  const es = new EventSource(sessionPath('events'));
  S.events = es;
  es.addEventListener('state', (e) => applyState(JSON.parse(e.data)));
  es.addEventListener('step', (e) => onStep(JSON.parse(e.data)));
  es.addEventListener('frame', (e) => onFrame(JSON.parse(e.data)));
  es.addEventListener('end', (e) => onEnd(JSON.parse(e.data)));
  es.addEventListener('closed', (e) => {
    es.close();
    status(`this tab's session was ${JSON.parse(e.data).reason}; press New image to start again`, 'error');
    S.id = null;
  });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && S.events === es) act(() => newSession(true));
    else if (S.events === es) status('lost the connection to the server; retrying…', 'error');
  };
}

// Step events come from the drag, frames from the encoder: a frame may arrive after the next step's numbers.
function onStep(s, isFrame) {
  if (!isFrame) {
    S.stats.steps++;
    S.stats.stepAt.set(s.step, performance.now());            // for the frame latency (step event to frame drawn)
    if (S.stats.stepAt.size > 64) S.stats.stepAt.delete(S.stats.stepAt.keys().next().value);
  }
  if (s.run === S.lastRun && s.step < S.lastStep) return;
  S.lastRun = s.run;
  S.lastStep = s.step;
  $('hud-step').textContent = `step ${s.step}`;
  $('hud-loss').textContent = `loss ${s.loss === null ? '–' : s.loss.toFixed(4)}`;
  $('hud-dist').textContent = `distance ${s.distance.toFixed(1)} px`;
  if (!S.drag) {
    s.handles.forEach((h, i) => { if (S.pairs[i]) S.pairs[i].h = h; });
    updateControls();
    draw();
  }
}

let framePending = null, frameDecoding = false;
async function onFrame(f) {
  onStep(f, true);
  if (framePending) S.stats.replaced++;
  framePending = f;
  if (frameDecoding) return;          // a newer frame replaces the waiting one
  frameDecoding = true;
  while (framePending) {
    const next = framePending;
    framePending = null;
    try {
      await showPng(base64Blob(next.png, 'image/png'));
    } catch (e) {
      status(`could not show a frame: ${e.message}`, 'error');
    }
    countFrame(next.step);
  }
  frameDecoding = false;
}

function countFrame(step) {
  const now = performance.now(), st = S.stats;
  const stepAt = st.stepAt.get(step);
  if (stepAt !== undefined) st.latencies.push(now - stepAt);
  if (!st.frames) st.firstFrameAt = now;
  st.frames++;
  st.lastFrameAt = now;
  st.fpsWindow.push(now);                                   // the rate over the last 10 frames
  if (st.fpsWindow.length > 10) st.fpsWindow.shift();
  const n = st.fpsWindow.length;
  const fps = n > 1 ? (n - 1) * 1000 / (st.fpsWindow[n - 1] - st.fpsWindow[0]) : 0;
  $('hud-fps').textContent = `${fps.toFixed(1)} frames/s`;
}

async function onEnd(e) {
  if (e.png) {
    S.imageVersion = Math.max(S.imageVersion, e.imageVersion);
    await showPng(base64Blob(e.png, 'image/png'));
  }
  if (e.reason === 'LOADED') await act(async () => applyState(await api('GET', sessionPath('')), true));
  const words = { CONVERGED: 'every handle reached its target', MAX_STEPS: 'stopped at max steps', STOPPED: 'stopped', LOADED: 'session loaded' }[e.reason] || e.reason;
  if (e.error) status(e.error, 'error');
  else status(`${words} after ${e.steps} step${e.steps === 1 ? '' : 's'}${e.reason === 'LOADED' ? '' : '; add points and Start again, or Undo'}`, 'ok');
}

// ------------------------------------------------------------------ actions

async function newSession(quiet) {
  let st;
  try {
    st = await api('POST', '/api/sessions', imageSettings());
  } catch (e) {
    status(`could not open a session: ${e.message}`, 'error');
    return;
  }
  S.id = st.id;
  S.imageVersion = -1;
  const keep = S.pairs.filter((p) => p.t);
  const keepMask = S.mask && maskRuns();
  applyState(st, true);
  connectEvents();
  if (quiet && (keep.length || keepMask)) {     // a replaced session: carry the points and mask over
    S.pairs = keep;
    if (keepMask) maskFromRuns(keepMask);
    await sendPoints();
    await sendMask();
    status('the previous session had expired; opened a new one with your points', 'error');
  } else if (!quiet) {
    status('click the image to place a handle, then click its target');
  }
}

// The number in an input field; a word-for-word error when it holds none.
function num(id) {
  const el = $(id), v = el.value.trim() === '' ? NaN : Number(el.value);
  if (!Number.isFinite(v)) throw new Error(`${el.closest('label').textContent.trim()} must be a number but is '${el.value}'`);
  return v;
}

function imageSettings() {
  return { seed: num('seed'), psi: num('psi'), noise: $('noise').value };
}

$('new-image').onclick = () => act(async () => {
  applyState(await api('POST', sessionPath('image'), imageSettings()));
  status(`seed ${$('seed').value}`);
});

$('random-image').onclick = () => {
  $('seed').value = Math.floor(Math.random() * 100000);
  $('new-image').onclick();
};

$('start').onclick = () => act(async () => {
  if (S.pairs.some((p) => !p.t)) status('the last handle has no target yet; it is left out of this drag');
  S.stats = { frames: 0, steps: 0, firstFrameAt: 0, lastFrameAt: 0, run: 0, fpsWindow: [], stepAt: new Map(), latencies: [], replaced: 0 };
  const st = await api('POST', sessionPath('start'), {
    maxSteps: num('max-steps'), lr: num('lr'), lambda: num('lambda'), tracker: $('tracker').value, supervision: $('supervision').value,
  });
  S.stats.run = st.run;
  applyState(st);
  status('dragging… press Stop to end early');
});

$('stop').onclick = () => act(async () => { await api('POST', sessionPath('stop')); status('stopping after the current step…'); });
$('reset').onclick = () => act(async () => { applyState(await api('POST', sessionPath('reset'))); status('back to the original image'); });
$('undo').onclick = () => act(async () => { applyState(await api('POST', sessionPath('undo'))); status('undid the last drag'); });

$('clear-points').onclick = () => { S.pairs = []; updateControls(); draw(); sendPoints(); };
$('clear-mask').onclick = () => { resetMask(); draw(); sendMask(); };
$('show-mask').onchange = draw;
$('brush').oninput = () => { $('brush-out').textContent = $('brush').value; };
document.querySelectorAll('input[name=mode]').forEach((r) => { r.onchange = () => { canvas.style.cursor = mode() === 'points' ? 'crosshair' : 'cell'; }; });

function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

$('save-png').onclick = () => act(async () => { download(await api('GET', sessionPath('image.png')), `draggan-seed${$('seed').value}.png`); status('saved the image'); });
$('save-session').onclick = () => act(async () => { download(await api('GET', sessionPath('session.json'), undefined, true), 'draggan-session.json'); status('saved the session'); });
$('export-gif').onclick = () => act(async () => { status('making the animation…'); download(await api('GET', sessionPath('animation.gif')), 'draggan-drag.gif'); status('exported the animation of the last drag'); });
$('load-session').onclick = () => $('load-file').click();
$('load-file').onchange = () => act(async () => {
  const f = $('load-file').files[0];
  $('load-file').value = '';
  if (!f) return;
  const max = S.info && S.info.limits.maxSessionBytes;
  if (max && f.size > max) {
    throw new ApiError(413, `${f.name} has ${f.size} bytes; the editor loads session files up to ${max} (./draggan drag --replay replays any size)`);
  }
  applyState(await api('POST', sessionPath('load'), await f.text()));
  status(`replaying ${f.name}…`);
});

window.addEventListener('pagehide', () => {
  if (S.id) fetch(sessionPath(''), { method: 'DELETE', keepalive: true });
});

// A read-only view for tests and curious users: window.draggan().
window.draggan = () => ({
  id: S.id, res: S.res, width: S.w, height: S.h, busy: S.busy, canUndo: S.canUndo, imageVersion: S.imageVersion,
  pairs: S.pairs.map((p) => ({ handle: p.h, target: p.t })),
  flexiblePixels: S.mask ? S.mask.reduce((a, b) => a + b, 0) : 0,
  stats: { frames: S.stats.frames, steps: S.stats.steps, seconds: (S.stats.lastFrameAt - S.stats.firstFrameAt) / 1000,
    latencies: S.stats.latencies.slice(), replaced: S.stats.replaced },
  status: $('status').textContent,
});

(async function main() {
  try {
    S.info = await api('GET', '/api/info');
  } catch (e) {
    status(e.message, 'error');
    return;
  }
  S.res = S.info.resolution;
  // the model's own image: a StyleGAN-Human model's 128 px wide, 256 px tall picture (its padded square stays on the server)
  S.w = S.info.width || S.res;
  S.h = S.info.height || S.res;
  $('model').textContent = `${S.info.model} · ${S.w}×${S.h}`;
  const d = S.info.defaults;
  $('seed').value = d.seed; $('psi').value = d.psi; $('lr').value = d.lr; $('lambda').value = d.lambda;
  $('max-steps').value = d.maxSteps; $('max-steps').max = S.info.limits.maxSteps; $('tracker').value = d.tracker;
  $('supervision').value = d.supervision;
  $('brush').max = Math.max(4, S.res / 4);
  $('brush').value = Math.max(2, Math.round(S.res / 16));
  $('brush-out').textContent = $('brush').value;
  const side = Math.max(768, S.res);
  canvas.width = Math.round(side * S.w / Math.max(S.w, S.h));
  canvas.height = Math.round(side * S.h / Math.max(S.w, S.h));
  if (S.w !== S.h) {
    canvas.style.aspectRatio = `${S.w} / ${S.h}`;
    if (S.h > S.w) { canvas.style.width = `${100 * S.w / S.h}%`; canvas.style.margin = '0 auto'; }
  }
  resetMask();
  await newSession(false);
})();
