// Renders the extension icon (media/icon.png, 128×128) from the SVG below in the
// same headless Chromium the tests use. Run it after changing the design:
//   node scripts/makeIcon.mjs
// The design: hits (dots) flowing into a live pulse line, on a dark tile that
// reads on both light and dark Marketplace/Extensions backgrounds.
import { chromium } from 'playwright-core';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserLaunchOptions } from './setup/system.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#16324f"/><stop offset="1" stop-color="#0b1a2b"/>
    </linearGradient>
    <linearGradient id="line" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" stop-color="#4fd1c5"/><stop offset="1" stop-color="#7ee787"/>
    </linearGradient>
  </defs>
  <rect x="4" y="4" width="120" height="120" rx="26" fill="url(#bg)"/>
  <rect x="4.5" y="4.5" width="119" height="119" rx="25.5" fill="none" stroke="#2f5d8a" stroke-width="1"/>
  <g fill="#4fd1c5">
    <circle cx="22" cy="36" r="5" opacity="0.45"/><circle cx="38" cy="36" r="5" opacity="0.7"/><circle cx="54" cy="36" r="5"/>
  </g>
  <rect x="66" y="31" width="40" height="10" rx="5" fill="#e6edf3" opacity="0.9"/>
  <polyline points="16,82 38,82 48,62 60,102 72,50 82,90 90,82 112,82" fill="none" stroke="url(#line)" stroke-width="8" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="112" cy="82" r="6" fill="#7ee787"/>
</svg>`;

const browser = await chromium.launch({ ...browserLaunchOptions(), args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
await page.setContent(`<html><body style="margin:0;background:transparent">${SVG}</body></html>`);
await page.locator('svg').screenshot({ path: join(root, 'media', 'icon.png'), omitBackground: true });
await browser.close();
console.log('wrote media/icon.png');
