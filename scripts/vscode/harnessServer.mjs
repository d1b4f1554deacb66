// A tiny HTTP server on loopback through which the suite, running in the
// extension host, asks the runner for things only Playwright can do: screenshots
// and reading the rendered DOM (workbench and webview iframes). Playwright's
// exposeFunction only reaches the workbench page, not the extension host; the
// extension host inherits code-server's environment, so the URL travels in
// LIVESTREAM_TEST_HARNESS.
//
// POST /screenshot      {name, target: 'window'|'statusbar'|'webview', text?, timeoutMs?} -> {path}
// POST /queryWorkbench  {selector}           -> {texts: string[]}   (workbench DOM)
// POST /queryWebview    {selector}           -> {texts: string[]}   (every webview frame)
// POST /clickWorkbench  {selector, text?}    -> {}
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from './codeServer.mjs';

const WEBVIEW_OUTER = 'iframe.webview.ready';
const WEBVIEW_INNER = '#active-frame';

/**
 * @param {{ page: () => import('playwright-core').Page | undefined, screenshotDir: string, suffix?: string, onShot?: (path: string) => void }} opts
 */
export function startHarnessServer(opts) {
  const handlers = {
    async screenshot(page, { name, target, text, timeoutMs = 20_000 }) {
      if (!/^[\w.-]+$/.test(String(name))) throw new Error(`bad screenshot name ${JSON.stringify(name)}: use letters, digits, . _ -`);
      mkdirSync(opts.screenshotDir, { recursive: true });
      const path = join(opts.screenshotDir, `${name}${opts.suffix ?? ''}.png`);
      if (target === 'window') {
        await page.screenshot({ path });
      } else if (target === 'statusbar') {
        const item = text
          ? page.locator('.statusbar-item', { hasText: text }).first()
          : page.locator('.part.statusbar').first();
        await item.waitFor({ state: 'visible', timeout: timeoutMs });
        await item.screenshot({ path, timeout: timeoutMs });
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
    async queryWebview(page, { selector }) {
      const texts = [];
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || frame.isDetached()) continue;
        try {
          texts.push(...await frame.locator(selector).evaluateAll((els) => els.map((e) => e.textContent ?? '')));
        } catch { /* frame navigated away meanwhile */ }
      }
      return { texts };
    },
    async clickWorkbench(page, { selector, text }) {
      await page.locator(selector, text ? { hasText: text } : {}).first().click({ timeout: 10_000 });
      return {};
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
