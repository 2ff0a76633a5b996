// Measures how many frames per second the editor page receives during a drag (not a test; for the notes).
//   DRAGGAN_URL=http://127.0.0.1:7860/ SECONDS=60 [DRAGGAN_SCREENSHOT=shot.png] node e2e/fps.mjs
// Opens the page in Debian's Chromium, places one handle/target pair (half the image apart), presses
// Start, counts the frames the page draws for SECONDS after the first one, presses Stop, prints the numbers: frames
// drawn and steps per second, and each frame's latency from its step's event to the frame drawn.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.DRAGGAN_URL;
const seconds = Number(process.env.SECONDS || 30);
if (!url) throw new Error('set DRAGGAN_URL');
const profile = mkdtempSync(join(tmpdir(), 'draggan-fps-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = context.pages()[0] || await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.draggan && window.draggan().id && /click the image/.test(window.draggan().status), null, { timeout: 600_000 });
  const res = await page.evaluate(() => window.draggan().res);
  const box = await page.locator('#canvas').boundingBox();
  const at = (x, y) => [box.x + (x + 0.5) / res * box.width, box.y + (y + 0.5) / res * box.height];
  await page.mouse.click(...at(Math.round(res * 0.25), Math.round(res / 2)));
  await page.mouse.click(...at(Math.round(res * 0.75), Math.round(res / 2)));
  await page.waitForFunction(() => window.draggan().pairs[0]?.target);
  await page.waitForTimeout(500);
  await page.fill('#max-steps', '10000');
  await page.click('#start');
  await page.waitForFunction(() => window.draggan().stats.frames >= 1, null, { timeout: 600_000 });
  const t0 = await page.evaluate(() => window.draggan().stats);
  await page.waitForTimeout(seconds * 1000);
  const t1 = await page.evaluate(() => window.draggan().stats);
  if (process.env.DRAGGAN_SCREENSHOT) await page.screenshot({ path: process.env.DRAGGAN_SCREENSHOT });
  if (await page.evaluate(() => window.draggan().busy)) await page.click('#stop');   // (a drag may also have ended by itself)
  await page.waitForFunction(() => window.draggan().busy === null, null, { timeout: 600_000 });
  const frames = t1.frames - t0.frames, secs = t1.seconds - t0.seconds, steps = t1.steps - t0.steps;
  const lat = (t1.latencies || []).slice((t0.latencies || []).length)   // (pages before the latency record have none)
   .sort((a, b) => a - b);
  const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(0) : '-';
  console.log(`fps: ${res} px: ${frames} frames in ${secs.toFixed(2)} s = ${(frames / secs).toFixed(2)} frames/s; ${steps} steps = ${(steps / secs).toFixed(2)} steps/s (measured over ${seconds} s after the first frame)`);
  console.log(`fps: frame latency (step event to frame drawn) median ${q(0.5)} ms, 90% ${q(0.9)} ms, max ${lat.length ? lat[lat.length - 1].toFixed(0) : '-'} ms over ${lat.length} frames; ${(t1.replaced ?? 0) - (t0.replaced ?? 0)} frames replaced by a newer one before being drawn`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
