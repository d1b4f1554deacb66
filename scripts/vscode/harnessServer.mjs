// A tiny HTTP server on loopback through which the suite, running in the
// extension host, asks the runner for things only Playwright can do: screenshots
// and reading the rendered DOM (workbench and webview iframes). Playwright's
// exposeFunction only reaches the workbench page, not the extension host; the
// extension host inherits code-server's environment, so the URL travels in
// LIVESTREAM_TEST_HARNESS.
//
// POST /screenshot      {name, target: 'window'|'statusbar'|'webview', text?, timeoutMs?} -> {path}
// POST /queryWorkbench  {selector}           -> {texts: string[]}   (workbench DOM)
// POST /queryWebview    {selector, attribute?} -> {texts: string[]} (every webview frame; the attribute's value instead of the text)
// POST /clickWorkbench  {selector, text?}    -> {}
// POST /clickWebview    {selector, text?}    -> {}                   (inside the visible webview's inner frame)
// POST /pressWebview    {key, selector?}     -> {}                   (on `selector` there, else on what has focus)
// POST /typeWebview     {text, selector?}    -> {}                   (real key events, one per character; ditto)
// POST /pressWorkbench  {key, selector?}     -> {}                   (workbench: on `selector`, else on what has focus)
// POST /typeWorkbench   {text, selector?}    -> {}                   (workbench: real key events, one per character)
// POST /fillWorkbench   {selector, value}    -> {}                   (replaces an input's value at once; one `input` event)
// POST /inputValue      {selector, where: 'workbench'|'webview'} -> {value} (the live `value` of an input, not its attribute)
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from './codeServer.mjs';

const WEBVIEW_OUTER = 'iframe.webview.ready';
const WEBVIEW_INNER = '#active-frame';

/**
 * Writes a PNG of `clip` (CSS pixels) rendered at `scale` device pixels per CSS
 * pixel. Chromium re-rasterises the region for the capture (sharp text, not an
 * upscaled bitmap) and the page's own device scale factor stays untouched.
 * @param {import('playwright-core').Page} page
 * @param {{ x: number, y: number, width: number, height: number }} clip
 * @param {number} scale
 * @param {string} path
 */
async function captureScaled(page, clip, scale, path) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', clip: { ...clip, scale } });
    writeFileSync(path, Buffer.from(data, 'base64'));
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * @param {{ page: () => import('playwright-core').Page | undefined, screenshotDir: string, suffix?: string, onShot?: (path: string) => void }} opts
 */
export function startHarnessServer(opts) {
  // The document inside the visible webview: VS Code nests it in a second iframe
  // (#active-frame) of the outer `iframe.webview`, so a plain page locator never sees it.
  const webviewDoc = (page) => page.frameLocator(`${WEBVIEW_OUTER} >> visible=true`).first().frameLocator(WEBVIEW_INNER);
  const handlers = {
    async screenshot(page, { name, target, text, timeoutMs = 20_000 }) {
      if (!/^[\w.-]+$/.test(String(name))) throw new Error(`bad screenshot name ${JSON.stringify(name)}: use letters, digits, . _ -`);
      mkdirSync(opts.screenshotDir, { recursive: true });
      const path = join(opts.screenshotDir, `${name}${opts.suffix ?? ''}.png`);
      if (target === 'window') {
        await page.screenshot({ path });
      } else if (target === 'statusbar') {
        const bar = page.locator('.part.statusbar').first();
        const item = text ? page.locator('.statusbar-item', { hasText: text }).first() : bar;
        await item.waitFor({ state: 'visible', timeout: timeoutMs });
        if (!text) {
          await bar.screenshot({ path, timeout: timeoutMs });
        } else {
          // At 1x the item is a 22 px sliver that reads as a smudge in a README:
          // capture it at twice the pixel density, over the bar's full height (its
          // own box can be shorter). Not wider: the neighbours would be cut mid-glyph.
          const [ib, bb] = await Promise.all([item.boundingBox(), bar.boundingBox()]);
          if (!ib || !bb) throw new Error(`status bar item "${text}" has no box`);
          await captureScaled(page, { x: ib.x, y: bb.y, width: ib.width, height: bb.height }, 2, path);
        }
      } else if (target === 'webview') {
        // Webviews are two nested iframes that fill in after 2-5 s: wait for the
        // inner document to have content (or the requested text), then shoot.
        const inner = page.frameLocator(`${WEBVIEW_OUTER} >> visible=true`).first().locator(WEBVIEW_INNER);
        await inner.waitFor({ state: 'visible', timeout: timeoutMs });
        const body = inner.contentFrame().locator('body');
        if (text) await body.getByText(text).first().waitFor({ state: 'visible', timeout: timeoutMs });
        else await body.locator(':scope > *').first().waitFor({ state: 'visible', timeout: timeoutMs });
        await inner.screenshot({ path, timeout: timeoutMs });
      } else {
        throw new Error(`unknown screenshot target ${JSON.stringify(target)}`);
      }
      opts.onShot?.(path);
      return { path };
    },
    async queryWorkbench(page, { selector }) {
      return { texts: await page.locator(selector).evaluateAll((els) => els.map((e) => e.textContent ?? '')) };
    },
    async queryWebview(page, { selector, attribute }) {
      const texts = [];
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || frame.isDetached()) continue;
        try {
          texts.push(...await frame.locator(selector).evaluateAll(
            (els, attr) => els.map((e) => (attr ? e.getAttribute(attr) : e.textContent) ?? ''), attribute ?? null));
        } catch { /* frame navigated away meanwhile */ }
      }
      return { texts };
    },
    async clickWorkbench(page, { selector, text }) {
      await page.locator(selector, text ? { hasText: text } : {}).first().click({ timeout: 10_000 });
      return {};
    },
    async clickWebview(page, { selector, text }) {
      // A real mouse click (Playwright scrolls the element into view and checks it is
      // hit-testable), so the webview's own listeners and focus handling run as for a user.
      await webviewDoc(page).locator(selector, text ? { hasText: text } : {}).first().click({ timeout: 10_000 });
      return {};
    },
    async pressWebview(page, { key, selector }) {
      if (selector) await webviewDoc(page).locator(selector).first().press(key, { timeout: 10_000 });
      // Keyboard events go to the focused frame: after a click in the webview, that is its document.
      else await page.keyboard.press(key);
      return {};
    },
    async typeWebview(page, { text, selector }) {
      if (selector) await webviewDoc(page).locator(selector).first().pressSequentially(String(text), { timeout: 10_000 });
      else await page.keyboard.type(String(text));
      return {};
    },
    // The workbench itself: quick inputs (the command palette, the simple file dialog
    // that code-server shows for showSaveDialog/showOpenDialog), notifications…
    async pressWorkbench(page, { key, selector }) {
      if (selector) await page.locator(selector).first().press(key, { timeout: 10_000 });
      else await page.keyboard.press(key);
      return {};
    },
    async typeWorkbench(page, { text, selector }) {
      if (selector) await page.locator(selector).first().pressSequentially(String(text), { timeout: 10_000 });
      else await page.keyboard.type(String(text));
      return {};
    },
    async fillWorkbench(page, { selector, value }) {
      await page.locator(selector).first().fill(String(value), { timeout: 10_000 });
      return {};
    },
    async inputValue(page, { selector, where }) {
      if (where !== 'workbench' && where !== 'webview') throw new Error(`inputValue: where must be 'workbench' or 'webview', not ${JSON.stringify(where)}`);
      const root = where === 'webview' ? webviewDoc(page) : page;
      return { value: await root.locator(selector).first().inputValue({ timeout: 10_000 }) };
    },
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const reply = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
      const handler = handlers[(req.url ?? '').replace(/^\//, '')];
      const page = opts.page();
      if (req.method !== 'POST' || !handler) return reply(404, { error: `no such harness call ${req.method} ${req.url}` });
      if (!page) return reply(503, { error: 'workbench page not open yet' });
      try {
        reply(200, await handler(page, JSON.parse(body || '{}')));
      } catch (e) {
        reply(500, { error: String(e?.message ?? e) });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve({
      url: `http://${HOST}:${server.address().port}`,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    }));
  });
}
