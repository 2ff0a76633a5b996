// End-to-end test of the editor page in Debian's Chromium (never a downloaded browser), driven by playwright-core.
// Needs DRAGGAN_URL (a running `./draggan edit`); run.sh starts one. Writes a screenshot to DRAGGAN_SCREENSHOT.
// Steps: load the page, click a handle and its target, paint a mask stroke, Start, wait for live frames, check the
// tracked handle moved toward the target, Stop, save PNG / animation / session, Undo, screenshot, load the saved
// session back. Exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const url = process.env.DRAGGAN_URL;
const shot = resolve(process.env.DRAGGAN_SCREENSHOT || 'test-results/editor.png');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!url) throw new Error('set DRAGGAN_URL to the address ./draggan edit printed');

const HANDLE = [20, 32], TARGET = [44, 32];
const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const log = (...a) => console.log('e2e:', ...a);

mkdirSync(dirname(shot), { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'draggan-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  const origin = new URL(url).origin;
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`request outside the server: ${u}`);
  });

  await page.goto(url);
  await page.waitForFunction(() => window.draggan && window.draggan().id && window.draggan().imageVersion >= 0);
  await page.waitForFunction(() => /click the image/.test(window.draggan().status));
  // the model's own frame: width < height for a StyleGAN-Human model (its padded square stays on the server)
  const { width, height } = await page.evaluate(() => ({ width: window.draggan().width, height: window.draggan().height }));
  log(`page loaded, session ${(await page.evaluate(() => window.draggan().id)).slice(0, 8)}, ${width}x${height} px`);

  const box = await page.locator('#canvas').boundingBox();
  const at = ([x, y]) => [box.x + (x + 0.5) / width * box.width, box.y + (y + 0.5) / height * box.height];
  const server = () => page.evaluate(async () => (await fetch(`/api/sessions/${window.draggan().id}`)).json());

  // a handle and its target, by clicking the canvas; then the target marker is dragged to its place
  const FIRST = [TARGET[0], TARGET[1] + 8];
  await page.mouse.click(...at(HANDLE));
  await page.mouse.click(...at(HANDLE));     // a target on its handle: refused, in words
  await page.waitForFunction(() => /a target equals its handle/.test(window.draggan().status));
  await page.mouse.click(...at(FIRST));
  await page.waitForFunction(() => window.draggan().pairs.length === 1 && window.draggan().pairs[0].target);
  await page.mouse.move(...at(FIRST));
  await page.mouse.down();
  await page.mouse.move(...at(TARGET), { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction((t) => { const p = window.draggan().pairs[0]; return p.target[0] === t[0] && p.target[1] === t[1]; }, TARGET);
  for (let i = 0; i < 50 && (await server()).pairs[0]?.target[1] !== TARGET[1]; i++) await page.waitForTimeout(100);
  const placed = (await server()).pairs[0];
  if (dist(placed.handle, HANDLE) > 0 || dist(placed.target, TARGET) > 0) throw new Error(`the server got pair ${JSON.stringify(placed)}`);
  log(`placed handle ${placed.handle} -> target ${FIRST}, dragged the target to ${placed.target}`);

  // a mask stroke over the region that may move
  await page.check('input[name=mode][value=paint]');
  const [x0, y0] = at([12, 24]), [x1, y1] = at([52, 40]);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x1, y1, { steps: 12 });
  await page.mouse.up();
  await page.check('input[name=mode][value=points]');
  for (let i = 0; i < 50 && !(await server()).mask; i++) await page.waitForTimeout(100);
  const mask = (await server()).mask;
  if (!mask) throw new Error('the mask stroke did not reach the server');
  const flexible = mask.flexibleRuns.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
  log(`painted a mask stroke: ${flexible} flexible pixels (page: ${await page.evaluate(() => window.draggan().flexiblePixels)})`);

  // Start, live frames, the handle moves toward the target
  await page.fill('#lr', '0.003');
  await page.fill('#max-steps', '2000');
  await page.click('#start');
  await page.waitForFunction(() => window.draggan().busy === 'drag');
  await page.waitForFunction(() => window.draggan().stats.frames >= 5, null, { timeout: 120_000 });
  const start = dist(HANDLE, TARGET);
  await page.waitForFunction(({ t, d }) => {
    const h = window.draggan().pairs[0].handle;
    return Math.hypot(h[0] - t[0], h[1] - t[1]) <= d - 3;
  }, { t: TARGET, d: start }, { timeout: 180_000 });
  const moving = await page.evaluate(() => window.draggan());
  log(`tracked handle at ${moving.pairs[0].handle} (distance ${dist(moving.pairs[0].handle, TARGET).toFixed(1)} px, was ${start.toFixed(1)}) after ${moving.stats.steps} steps`);
  log(`frames received: ${moving.stats.frames} in ${moving.stats.seconds.toFixed(2)} s = ${(moving.stats.frames > 1 ? (moving.stats.frames - 1) / moving.stats.seconds : 0).toFixed(1)} frames/s`);
  const hud = await page.textContent('#hud');
  if (!/step \d+/.test(hud) || !/loss \d/.test(hud) || !/distance \d/.test(hud)) throw new Error(`the HUD shows no progress: ${hud}`);

  // the page stays responsive while the drag runs: the mask can be hidden and shown
  await page.uncheck('#show-mask');
  await page.check('#show-mask');

  // Stop
  await page.click('#stop');
  await page.waitForFunction(() => window.draggan().busy === null && /stopped/.test(window.draggan().status), null, { timeout: 60_000 });
  const stopped = await page.evaluate(() => window.draggan());
  if (!stopped.canUndo) throw new Error('after Stop, Undo should be possible');
  log(`stopped: ${stopped.status}`);
  await page.screenshot({ path: shot.replace(/\.png$/, '-after-drag.png') });

  // the files: PNG, session, animation (downloads the page makes from the server's answers)
  const download = async (button) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const file = join(dirname(shot), d.suggestedFilename());
    await d.saveAs(file);
    return { file, bytes: readFileSync(file) };
  };
  const png = await download('#save-png');
  if (png.bytes.subarray(1, 4).toString() !== 'PNG') throw new Error(`Save PNG gave no PNG: ${png.file}`);
  const gif = await download('#export-gif');
  if (gif.bytes.subarray(0, 6).toString() !== 'GIF89a') throw new Error(`Export animation gave no GIF: ${gif.file}`);
  const session = await download('#save-session');
  const saved = JSON.parse(session.bytes.toString());
  if (saved.format !== 'draggan-session/1' || saved.drags.length !== 1) throw new Error(`Save session gave ${session.bytes.toString().slice(0, 200)}`);
  log(`saved ${png.file} (${png.bytes.length} B), ${gif.file} (${gif.bytes.length} B), ${session.file} (${saved.drags[0].steps} steps)`);

  // Undo
  await page.click('#undo');
  await page.waitForFunction(() => !window.draggan().canUndo && /undid/.test(window.draggan().status));
  const undone = await page.evaluate(() => window.draggan());
  if (dist(undone.pairs[0].handle, HANDLE) > 0) throw new Error(`undo should put the handle back at ${HANDLE} but it is at ${undone.pairs[0].handle}`);
  log(`undo: handle back at ${undone.pairs[0].handle}`);

  await page.screenshot({ path: shot });
  log(`screenshot ${shot}`);

  // Load session: the saved drag is replayed and the handle is where the drag left it
  await page.setInputFiles('#load-file', session.file);
  await page.waitForFunction(() => window.draggan().busy === null && /session loaded/.test(window.draggan().status), null, { timeout: 180_000 });
  await page.waitForFunction((h) => {
    const p = window.draggan().pairs[0];
    return p && p.handle[0] === h[0] && p.handle[1] === h[1];
  }, stopped.pairs[0].handle, { timeout: 10_000 });
  log(`loaded the session: handle at ${(await page.evaluate(() => window.draggan().pairs[0].handle))} again`);
  if (problems.length) throw new Error(problems.join('\n'));
  log('PASS');
} catch (e) {
  failed = true;
  console.error('e2e: FAIL:', e.message);
  try {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: shot.replace(/\.png$/, '-failure.png') });
  } catch { /* no screenshot then */ }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
