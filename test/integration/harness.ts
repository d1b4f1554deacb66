// Helpers for integration tests running inside the extension host.
//
// Screenshots and reading the rendered DOM need Playwright, which lives in the
// runner process; the code-server runner passes the URL of its small HTTP
// harness in LIVESTREAM_TEST_HARNESS (see scripts/vscode/harnessServer.mjs).
// Under the desktop runner (test-electron) there is no harness: screenshot
// requests are no-ops and DOM queries are unavailable (use `requireHarness`).
import * as http from 'node:http';
import * as vscode from 'vscode';
import type { LiveStreamApi } from '../../src/host/controller';

const harnessUrl = process.env.LIVESTREAM_TEST_HARNESS;

/** True when running under the code-server runner (screenshots and DOM queries work). */
export function harnessAvailable(): boolean {
  return Boolean(harnessUrl);
}

/** True during `npm run screenshots`: shots go to media/ for the README. */
export const screenshotsForReadme = process.env.LIVESTREAM_SCREENSHOTS_MODE === 'readme';

/** Skips the current test, visibly and with the reason, when there is no harness. */
export function requireHarness(ctx: Mocha.Context): void {
  if (!harnessUrl) {
    console.log(`  (skipping "${ctx.currentTest?.title ?? ctx.test?.title}": needs the code-server runner's DOM harness)`);
    ctx.skip();
  }
}

function post<T>(call: string, body: unknown, timeoutMs = 60_000): Promise<T> {
  if (!harnessUrl) return Promise.reject(new Error(`${call} needs the code-server runner (LIVESTREAM_TEST_HARNESS is unset)`));
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${harnessUrl}/${call}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      timeout: timeoutMs,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let parsed: { error?: string } & Record<string, unknown>;
        try { parsed = JSON.parse(text); } catch { return reject(new Error(`harness ${call}: bad reply ${text.slice(0, 200)}`)); }
        if (res.statusCode !== 200) reject(new Error(`harness ${call}: ${parsed.error ?? res.statusCode}`));
        else resolve(parsed as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`harness ${call}: no reply within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

export type ScreenshotTarget = 'window' | 'statusbar' | 'webview';

/**
 * Asks the runner for a PNG. `window`: the whole workbench; `statusbar`: the
 * first status bar item containing `opts.text` (the whole bar without it);
 * `webview`: the visible webview's inner iframe, once it has content (or
 * `opts.text`). Returns the file written, or undefined without a harness.
 */
export async function requestScreenshot(name: string, target: ScreenshotTarget, opts: { text?: string; timeoutMs?: number } = {}): Promise<string | undefined> {
  if (!harnessUrl) {
    console.log(`  (screenshot "${name}" not taken: no harness under this runner)`);
    return undefined;
  }
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const { path } = await post<{ path: string }>('screenshot', { name, target, text: opts.text, timeoutMs }, timeoutMs + 10_000);
  return path;
}

/** Text contents of every element matching `selector` in the workbench DOM. */
export async function queryWorkbench(selector: string): Promise<string[]> {
  return (await post<{ texts: string[] }>('queryWorkbench', { selector })).texts;
}

/**
 * Text contents of every element matching `selector` inside any webview frame,
 * or the value of `attribute` on each ('' where it is missing).
 */
export async function queryWebview(selector: string, attribute?: string): Promise<string[]> {
  return (await post<{ texts: string[] }>('queryWebview', { selector, attribute })).texts;
}

/** Clicks the first workbench element matching `selector` (and containing `text`). */
export async function clickWorkbench(selector: string, text?: string): Promise<void> {
  await post('clickWorkbench', { selector, text });
}

/** Clicks (a real mouse click) the first element matching `selector` (and containing `text`) in the visible webview. */
export async function clickWebview(selector: string, text?: string): Promise<void> {
  await post('clickWebview', { selector, text });
}

/**
 * Presses `key` (Playwright key names: 'ArrowDown', 'Enter', 'Control+A'…) on the
 * first element matching `selector` in the visible webview, or, without a
 * selector, on whatever has focus (e.g. the row just clicked with `clickWebview`).
 */
export async function pressWebview(key: string, selector?: string): Promise<void> {
  await post('pressWebview', { key, selector });
}

/**
 * Types `text` as real key events (one keydown/input/keyup per character) into the
 * first element matching `selector` in the visible webview (focused first), or,
 * without a selector, into whatever has focus.
 */
export async function typeWebview(text: string, selector?: string): Promise<void> {
  await post('typeWebview', { text, selector });
}

/**
 * Presses `key` (Playwright key names) on the first workbench element matching
 * `selector`, or, without one, on whatever has focus: e.g. 'Enter' in a quick input.
 */
export async function pressWorkbench(key: string, selector?: string): Promise<void> {
  await post('pressWorkbench', { key, selector });
}

/** Types `text` as real key events into the first workbench element matching `selector` (focused first), or into whatever has focus. */
export async function typeWorkbench(text: string, selector?: string): Promise<void> {
  await post('typeWorkbench', { text, selector });
}

/**
 * Replaces the value of the first workbench input matching `selector` in one go
 * (focus, select all, insert: a single `input` event). For inputs that react to
 * every keystroke, e.g. the simple file dialog's path box, which autocompletes
 * folder names as you type.
 */
export async function fillWorkbench(selector: string, value: string): Promise<void> {
  await post('fillWorkbench', { selector, value });
}

/**
 * The live `value` of the first input (or textarea/select) matching `selector` in the
 * workbench or the visible webview: what is typed there, which `queryWebview(…, 'value')`
 * (the attribute) does not see. Waits up to 10 s for such an element.
 */
export async function inputValue(where: 'workbench' | 'webview', selector: string): Promise<string> {
  return (await post<{ value: string }>('inputValue', { selector, where })).value;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  message?: string;
}

/**
 * Polls `cond` until it returns a truthy value and returns that value; throws
 * after `timeoutMs` with `message` and the last value or error seen.
 */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 15_000, intervalMs = 100, message = 'condition' } = opts;
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= until) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const matches = (text: string, want: string | RegExp) => typeof want === 'string' ? text.includes(want) : want.test(text);

/** Waits until a status bar item's rendered text matches; returns that text. */
export function waitForStatusBarText(want: string | RegExp, opts: WaitOptions = {}): Promise<string> {
  return waitFor(async () => (await queryWorkbench('.statusbar-item')).find((t) => matches(t, want)),
    { message: `a status bar item matching ${want}`, ...opts });
}

/** Waits until at least `min` elements matching `selector` in a webview have text matching `want`. */
export function waitForWebview(selector: string, opts: WaitOptions & { min?: number; want?: string | RegExp } = {}): Promise<string[]> {
  const { min = 1, want = /./ } = opts;
  return waitFor(async () => {
    const texts = (await queryWebview(selector)).filter((t) => matches(t, want));
    return texts.length >= min ? texts : undefined;
  }, { message: `${min} webview element(s) ${selector} matching ${want}`, ...opts });
}

/**
 * A control request to the demo server (JSON POST); `headers` carry its secret
 * token (`controlHeaders`), which only this process can read. Resolves with the status.
 */
export function demoControl(url: string, body: unknown, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(data)) } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * True when the demo server would accept a connection: no connection open there and
 * no "ghost" (like Adobe's load balancer, it keeps a closed connection's slot for a
 * while, and a connection made before the slot is free is refused with 409). The
 * server sees a client's close a moment after the client: hence `activeConnections`.
 */
export const demoSlotFree = (a: LiveStreamApi): boolean => {
  const demo = a.service.demoServer;
  return !demo || (demo.activeConnections === 0 && demo.ghostConnections === 0);
};

/**
 * The demo stream, connected: another test may have left it connected, or in a
 * cooldown, which is skipped once the demo's slot is free (else the forced attempt
 * is refused with 409 and backs off further). True when this call connected it
 * (the caller disconnects in its `after`).
 */
export async function ensureDemoConnected(a: LiveStreamApi): Promise<boolean> {
  const svc = a.service;
  let connectedHere = false;
  if (!(svc.isActive && svc.isDemo)) {
    connectedHere = true;
    await vscode.commands.executeCommand('liveStream.connectDemo');
  }
  let nudged = 0;
  await waitFor(async () => {
    const st = svc.snapshot().state;
    if (st.kind === 'connected') return true;
    if (st.kind === 'cooldown' && demoSlotFree(a) && Date.now() - nudged > 3_000) {
      nudged = Date.now();
      await vscode.commands.executeCommand('liveStream.connectNow');
    }
    return false;
  }, { message: 'connected to the demo stream', timeoutMs: 60_000, intervalMs: 200 });
  return connectedHere;
}

/** Disconnects a demo stream a test connected, and waits until the next test can connect without a 409 (up to the demo's 20 s ghost). */
export async function disconnectDemo(a: LiveStreamApi): Promise<void> {
  await vscode.commands.executeCommand('liveStream.disconnect');
  await waitFor(() => demoSlotFree(a), { message: 'the demo stream to free the closed connection’s slot', timeoutMs: 40_000, intervalMs: 250 });
}

export const EXT_ID = 'livestream-tools.livestream-inspector';
/** The hits panel's tab title. */
export const PANEL_TITLE = 'Live Stream Hits';
/** VS Code's quick input (also the simple file dialog and `showInputBox`), and its text box. */
export const QUICK_INPUT = '.quick-input-widget';
export const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;

/** The hits panel's tab, when it is open. */
export const panelTab = (): vscode.Tab | undefined => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .find((t) => t.input instanceof vscode.TabInputWebview && t.label === PANEL_TITLE);

/** The extension, activated (through a command, as a user would), and its test API. */
export async function activatedApi(): Promise<LiveStreamApi> {
  const ext = vscode.extensions.getExtension<LiveStreamApi>(EXT_ID);
  if (!ext) throw new Error(`${EXT_ID} not installed`);
  await vscode.commands.executeCommand('liveStream.showLog'); // activates on command
  await waitFor(() => ext.isActive, { message: 'activation' });
  return ext.exports;
}
