import { strict as assert } from 'node:assert';
/**
 * Runs the real hits webview in headless Debian Chromium (playwright-core, no
 * browser download). The page is exactly what the extension sets: the HTML and
 * CSP come from src/shared/panelHtml.ts, scripts/styles are served from a
 * loopback origin that plays the role of `webview.cspSource`. The only fake is
 * `acquireVsCodeApi`, injected before any page script as a named stand-in.
 */
import * as esbuild from 'esbuild';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildPanelHtml } from '../../../src/shared/panelHtml';
import { genHits } from './genHits.mjs';
import { browserLaunchOptions } from '../../../scripts/setup/system.mjs';

export const ROOT = join(__dirname, '..', '..', '..');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Harness {
  browser: Browser;
  origin: string;
  close(): Promise<void>;
}

/** Same bundle options as scripts/build.mjs (webview entry), into a temp dir so tests never race `npm run build`. */
async function buildBundle(outDir: string): Promise<void> {
  await esbuild.build({
    entryPoints: [join(ROOT, 'src/webview/main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true, platform: 'browser', format: 'iife', target: 'chrome120',
    sourcemap: false, minify: false, logLevel: 'warning', legalComments: 'none',
  });
}

export async function startHarness(opts: { headless?: boolean } = {}): Promise<Harness> {
  // Installs Chromium where it may, else throws the command to run: a missing
  // browser fails the suite, it never skips it.
  const browserOpts = browserLaunchOptions();
  const dir = mkdtempSync(join(tmpdir(), 'lsi-webview-'));
  await buildBundle(dir);
  const files: Record<string, [string, Buffer]> = {
    '/main.js': ['text/javascript', readFileSync(join(dir, 'main.js'))],
    '/style.css': ['text/css', readFileSync(join(ROOT, 'src/webview/style.css'))],
    '/codicon.css': ['text/css', readFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.css'))],
    '/codicon.ttf': ['font/ttf', readFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.ttf'))],
  };
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/' || path === '/index.html') {
      const html = buildPanelHtml({
        cspSource: origin,
        nonce: randomBytes(18).toString('base64'),
        scriptUri: `${origin}/main.js`, styleUri: `${origin}/style.css`, codiconUri: `${origin}/codicon.css`,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const f = files[path];
    if (!f) { res.writeHead(path === '/favicon.ico' ? 204 : 404); res.end(); return; }
    res.writeHead(200, { 'content-type': f[0] });
    res.end(f[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no server address');
  origin = `http://127.0.0.1:${addr.port}`;
  const browser = await chromium.launch({ ...browserOpts, args: CHROMIUM_ARGS, headless: opts.headless ?? true });
  return {
    browser, origin,
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the stand-in records; read with `standIn(page)`. */
export interface StandInRecord {
  posted: Array<Record<string, unknown>>;
  violations: string[];
  errors: string[];
}

/**
 * Stand-in for VS Code's `acquireVsCodeApi`: records posted messages and keeps
 * setState in sessionStorage (which survives a reload, as VS Code's saved
 * webview state does). Also records CSP violations and uncaught errors.
 */
function vscodeApiStandIn(): void {
  const rec = { posted: [] as unknown[], violations: [] as string[], errors: [] as string[] };
  let acquired = false;
  Object.defineProperty(window, '__vscodeStandIn', { value: rec });
  (window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage: (m: unknown) => rec.posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem('vscode-state'); return s === null ? undefined : JSON.parse(s); },
      setState: (s: unknown) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),
    };
  };
  document.addEventListener('securitypolicyviolation', (e) => rec.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  window.addEventListener('error', (e) => rec.errors.push(String(e.message)));
}

export interface Panel {
  page: Page;
  dialogs: string[];
  consoleCsp: string[];
  /** Sends a host→webview message the way VS Code does (a window `message` event). */
  send(msg: unknown): Promise<void>;
  posted(): Promise<Array<Record<string, unknown>>>;
  record(): Promise<StandInRecord>;
  /** Sends a snapshot; `hits` are JSON-serialised and parsed in the page so `__proto__` keys stay own data. */
  snapshot(opts?: { hits?: unknown[]; engine?: unknown; maxHits?: number; myTraffic?: string[]; now?: number }): Promise<void>;
  hits(hits: unknown[]): Promise<void>;
  /** Generates `n` synthetic hits inside the page and sends them (as a snapshot or a batch). */
  generate(kind: 'snapshot' | 'hits', n: number, firstSeq: number, opts?: Record<string, unknown>): Promise<void>;
  /** Resolves after two animation frames (everything scheduled has rendered). */
  frames(): Promise<void>;
}

export function engineSnapshot(state: Record<string, unknown> = { kind: 'connected', since: Date.now() - 60_000 }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    streamUrl: 'https://livestream.adobe.net/api/1/stream/example',
    state,
    stats: { received: 0, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 },
    ...extra,
  };
}

export async function openPanel(h: Harness, opts: { width?: number; height?: number; bodyClass?: string } = {}): Promise<Panel> {
  const context = await h.browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const consoleCsp: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) consoleCsp.push(m.text()); });
  // tsx compiles these tests with esbuild's keepNames, which wraps functions
  // passed to page.evaluate in `__name(...)`; give the page that helper.
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.addInitScript(vscodeApiStandIn);
  if (opts.bodyClass) await page.addInitScript((cls) => document.addEventListener('DOMContentLoaded', () => document.body.classList.add(cls)), opts.bodyClass);
  await page.goto(`${h.origin}/`);
  await page.waitForFunction(() => (window as unknown as { __vscodeStandIn: StandInRecord }).__vscodeStandIn.posted.some((m) => m.type === 'ready'));
  await page.evaluate(`window.__genHits = ${genHits.toString()}`);

  const panel: Panel = {
    page, dialogs, consoleCsp,
    send: async (msg) => { await page.evaluate((m) => window.postMessage(m, '*'), msg); },
    posted: () => page.evaluate(() => (window as unknown as { __vscodeStandIn: StandInRecord }).__vscodeStandIn.posted),
    record: () => page.evaluate(() => (window as unknown as { __vscodeStandIn: StandInRecord }).__vscodeStandIn),
    snapshot: async (o = {}) => {
      await page.evaluate(([json, rest]) => {
        window.postMessage({ type: 'snapshot', version: 1, hits: JSON.parse(json), ...rest }, '*');
      }, [JSON.stringify(o.hits ?? []), { engine: o.engine ?? engineSnapshot(), maxHits: o.maxHits ?? 5000, myTraffic: o.myTraffic ?? [], now: o.now ?? Date.now() }] as const);
    },
    hits: async (hits) => {
      await page.evaluate((json) => window.postMessage({ type: 'hits', hits: JSON.parse(json), now: Date.now() }, '*'), JSON.stringify(hits));
    },
    generate: async (kind, n, firstSeq, o = {}) => {
      await page.evaluate(([kind, n, firstSeq, o]) => {
        const hits = (window as unknown as { __genHits: (...a: unknown[]) => unknown[] }).__genHits(n, firstSeq, Date.now() - n * 10, o);
        const msg = kind === 'snapshot'
          ? { type: 'snapshot', version: 1, hits, maxHits: (o as { maxHits?: number }).maxHits ?? 100_000, myTraffic: [], now: Date.now(), engine: { streamUrl: 'x', state: { kind: 'connected', since: Date.now() }, stats: { received: n, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 10 } } }
          : { type: 'hits', hits, now: Date.now() };
        window.postMessage(msg, '*');
      }, [kind, n, firstSeq, o] as const);
    },
    frames: async () => {
      await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    },
  };
  return panel;
}

/** Text of the data rows currently in the DOM, top to bottom, one array of cell texts per row. */
export async function visibleRows(page: Page): Promise<string[][]> {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll<HTMLElement>('.grid-spacer .row:not([hidden])')];
    const body = document.querySelector<HTMLElement>('.grid-body')!;
    const top = body.getBoundingClientRect().top;
    const bottom = body.getBoundingClientRect().bottom;
    return rows
      .map((r) => ({ r, y: r.getBoundingClientRect().top }))
      .filter(({ y }) => y >= top - 1 && y < bottom)
      .sort((a, b) => a.y - b.y)
      .map(({ r }) => [...r.children].map((c) => c.textContent ?? ''));
  });
}

/**
 * Waits until `fn` (run in the page) is truthy. Functions only: a string
 * predicate would be eval'd in the page, which the CSP rightly refuses.
 */
export async function until<A>(page: Page, fn: (arg: A) => unknown, arg?: A, timeout = 10_000): Promise<void> {
  // Playwright's Unboxed<A> typing does not accept a generic callback; plain JSON args are all we pass.
  await page.waitForFunction(fn as (arg: unknown) => unknown, arg, { timeout });
}

/**
 * Reads `read()` until it deep-equals `expected`, then returns; on timeout the
 * last read fails the assertion. For what is rendered on an animation frame
 * after a message: reading once races the render (rows read before the
 * snapshot was drawn).
 */
export async function eventuallyEqual<T>(read: () => Promise<T>, expected: T, message?: string, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    const actual = await read();
    try {
      assert.deepEqual(actual, expected, message);
      return;
    } catch (e) {
      if (Date.now() >= end) throw e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** After every test: no CSP violation, no page error, no dialog; then the page is closed. */
export async function assertCleanAndClose(p: Panel): Promise<void> {
  const rec = await p.record();
  assert.deepEqual(rec.violations, [], 'CSP violations');
  assert.deepEqual(p.consoleCsp, [], 'CSP console messages');
  assert.deepEqual(rec.errors, [], 'uncaught page errors');
  assert.deepEqual(p.dialogs, [], 'dialogs');
  await p.page.context().close();
}

/**
 * The hooks every panel suite shares: one browser per suite, a fresh panel per
 * test (handed to `set`), and after each test the check that it left no CSP
 * violation, no dialog and no page error behind.
 */
export function usePanelPerTest(set: (p: Panel) => void): void {
  let h: Harness | undefined;
  let p: Panel | undefined;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });
  beforeEach(async () => { p = await openPanel(h!); set(p); });
  afterEach(async () => { await assertCleanAndClose(p!); });
}
