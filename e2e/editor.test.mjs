// End-to-end test of the editor page in Debian's Chromium (never a downloaded browser), driven by playwright-core.
// Needs DRAGGAN_URL (a running `./draggan edit`); run.sh starts one. Writes a screenshot to DRAGGAN_SCREENSHOT.
// Steps: load the page, click a handle and its target, paint a mask stroke, Start, wait for live frames, check the
// tracked handle moved toward the target, Stop, Undo, screenshot. Exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
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
  const res = await page.evaluate(() => window.draggan().res);
  log(`page loaded, session ${(await page.evaluate(() => window.draggan().id)).slice(0, 8)}, ${res} px`);

  const box = await page.locator('#canvas').boundingBox();
  const at = ([x, y]) => [box.x + (x + 0.5) / res * box.width, box.y + (y + 0.5) / res * box.height];
  const server = () => page.evaluate(async () => (await fetch(`/api/sessions/${window.draggan().id}`)).json());

  // a handle and its target, by clicking the canvas
  await page.mouse.click(...at(HANDLE));
  await page.mouse.click(...at(TARGET));
  await page.waitForFunction(() => window.draggan().pairs.length === 1 && window.draggan().pairs[0].target);
  for (let i = 0; i < 50 && (await server()).pairs.length !== 1; i++) await page.waitForTimeout(100);
  const placed = (await server()).pairs[0];
  if (dist(placed.handle, HANDLE) > 0 || dist(placed.target, TARGET) > 0) throw new Error(`the server got pair ${JSON.stringify(placed)}`);
  log(`placed handle ${placed.handle} -> target ${placed.target}`);

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

  // Undo
  await page.click('#undo');
  await page.waitForFunction(() => !window.draggan().canUndo && /undid/.test(window.draggan().status));
  const undone = await page.evaluate(() => window.draggan());
  if (dist(undone.pairs[0].handle, HANDLE) > 0) throw new Error(`undo should put the handle back at ${HANDLE} but it is at ${undone.pairs[0].handle}`);
  log(`undo: handle back at ${undone.pairs[0].handle}`);

  await page.screenshot({ path: shot });
  log(`screenshot ${shot}`);
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
