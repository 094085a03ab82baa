// Loads Paternoster's live view in the system Chromium (Playwright), fires several concurrent
// requests from the page's own "Send ×N" button, and checks that the view showed steps whose batch
// held at least two requests, that the step counter moved and that lanes were drawn.
// Usage: node live-view-browser.mjs BASE_URL SCREENSHOT.png [CHROMIUM]
import { chromium } from 'playwright-core';

const [base, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error('usage: node live-view-browser.mjs BASE_URL SCREENSHOT.png [CHROMIUM]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base.replace(/\/$/, '') + '/');
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live', null, { timeout: 20000 });
  const before = Number(await page.textContent('#step-counter'));

  await page.fill('#max-tokens', '120');
  await page.fill('#temperature', '0.8');
  await page.fill('#burst-n', '6');
  await page.click('#burst', { position: { x: 10, y: 10 } });

  await page.waitForFunction(() => Number(document.getElementById('live').dataset.maxBatch) >= 2, null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('answer').textContent.length > 'Once upon a time'.length + 10, null, { timeout: 30000 });
  await page.waitForFunction((b) => Number(document.getElementById('step-counter').textContent) > b, before, { timeout: 10000 });
  // Let the lanes fill in, then picture it.
  await page.waitForTimeout(400);
  await page.screenshot({ path: screenshot, fullPage: true });

  const live = await page.$eval('#live', (el) => ({ ...el.dataset }));
  const after = Number(await page.textContent('#step-counter'));
  const kvText = await page.textContent('#kv-text');
  console.log(JSON.stringify({ before, after, live, kvText }));
  if (!(after > before)) throw new Error(`step counter did not move: ${before} -> ${after}`);
  if (!(Number(live.maxLanes) >= 2)) throw new Error('fewer than two lanes were drawn: ' + JSON.stringify(live));
  if (!/pages/.test(kvText)) throw new Error('KV pages not shown: ' + kvText);
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  console.log('live view: all checks passed');
} catch (e) {
  failed = true;
  console.error('live view: FAILED:', e?.stack || e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
