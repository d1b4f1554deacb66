import assert from 'node:assert/strict';
import { eventuallyEqual, type Panel, until, usePanelPerTest, visibleRows } from './support/harness';

/**
 * Issue 9.2: a regex filter could freeze the panel. `pageName~/(a+)+$/` took
 * 101 s for ONE 31-character page name with JavaScript's backtracking RegExp,
 * and the saved filter was re-applied each time the panel opened, so it froze
 * again on every open. Filters now run on a linear-time engine (RE2).
 */

const PAGE = 4;
/** Hits with 10 001-character page names, in the snapshot and again in a batch. */
const N = 100;
/** A hang detector, not a benchmark: the expected longest task here is under 50 ms. */
const LONG_TASK_BOUND_MS = 2_500;

async function pageNames(p: Panel): Promise<string[]> {
  return (await visibleRows(p.page)).map((r) => r[PAGE]!);
}

/** Saves UI state the way VS Code's setState does, then reopens the panel (a reload). */
async function reopenWithSavedFilter(p: Panel, filter: string): Promise<void> {
  await p.page.evaluate((f) => sessionStorage.setItem('vscode-state', JSON.stringify({ v: 1, filter: f })), filter);
  await p.page.reload();
  await until(p.page, () => (window as unknown as { __vscodeStandIn: { posted: { type: string }[] } }).__vscodeStandIn.posted.some((m) => m.type === 'ready'));
}

/** Records main-thread tasks over 50 ms (the Long Tasks API), from now on. */
async function watchLongTasks(p: Panel): Promise<void> {
  await p.page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
  });
}

const longestTask = (p: Panel): Promise<number> => p.page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));

/**
 * Sends a snapshot of `n` hits with 10 001-character page names ("aaa…a!",
 * the worst case for `(a+)+$`) plus three short ones that match, then a batch
 * of the same kind. Built in the page: 2 MB of text need not cross CDP.
 */
async function sendPathologicalHits(p: Panel, n: number): Promise<void> {
  await p.page.evaluate((count) => {
    const now = Date.now();
    const mk = (seq: number, pageName: string, pageURL: string) => ({
      seq, key: `${seq}:${seq}`, receivedAt: now - 1000,
      data: { hitIdHigh: String(1000 + seq), hitIdLow: String(2000 + seq), timeGMT: Math.floor(now / 1000) - 30, reportSuite: 'rs', pageName, pageURL },
    });
    // The worst cases: a long run that the pattern almost matches, then a character that fails it.
    const long = 'a'.repeat(10_000) + '!';
    const longUrl = 'a'.repeat(5_000) + '!';
    const hits = [];
    for (let i = 1; i <= count; i++) hits.push(mk(i, long, longUrl));
    hits.push(mk(count + 1, 'aaa', 'shop.test'), mk(count + 2, 'cherry', 'shop.test'));
    const engine = { streamUrl: 'x', state: { kind: 'connected', since: now }, stats: { received: count, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 1 } };
    window.postMessage({ type: 'snapshot', version: 1, hits, maxHits: 5000, myTraffic: [], now, engine }, '*');
    const batch = [];
    for (let i = 1; i <= count; i++) batch.push(mk(count + 2 + i, long, longUrl));
    batch.push(mk(2 * count + 3, 'aaaa', 'shop.test'));
    window.postMessage({ type: 'hits', hits: batch, now }, '*');
  }, n);
}

describe('regex filters cannot freeze the panel (Chromium)', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  it('reopened with a saved (a+)+$ filter and long page names, it renders the matches and stays interactive', async () => {
    await reopenWithSavedFilter(p, 'pageName~/(a+)+$/');
    assert.equal(await p.page.inputValue('.filter-input'), 'pageName~/(a+)+$/');
    await watchLongTasks(p);
    await sendPathologicalHits(p, N);
    // On the old engine the page never gets here: each long name backtracks for ages.
    await until(p.page, () => document.querySelector('.grid')?.getAttribute('aria-rowcount') === '3', undefined, 20_000);
    await eventuallyEqual(() => pageNames(p), ['aaaa', 'aaa']);
    assert.equal(await p.page.isVisible('.filter-error'), false);

    // Interactive: a click selects a row and opens its details, a key focuses the filter.
    await p.page.click(`.grid-spacer .row[data-seq="${N + 1}"]`, { timeout: 5000 });
    await until(p.page, () => /Page “aaa”/.test(document.querySelector('.detail-title')?.textContent ?? ''), undefined, 5000);
    await p.page.focus('.grid');
    await p.page.keyboard.press('/');
    assert.ok(await p.page.evaluate(() => document.activeElement?.classList.contains('filter-input')));

    // The other pathological pattern of the issue, typed: same story.
    await p.page.fill('.filter-input', 'pageURL~/^(\\w+\\.?)+$/ -pageName=cherry');
    await p.page.press('.filter-input', 'Enter');
    await until(p.page, () => document.querySelector('.grid')?.getAttribute('aria-rowcount') === '3', undefined, 5000);
    await eventuallyEqual(() => pageNames(p), ['aaaa', 'aaa']);
    const longest = await longestTask(p);
    assert.ok(longest < LONG_TASK_BOUND_MS, `the main thread was blocked for ${longest.toFixed(0)} ms`);
  });

  it('a saved filter the engine refuses shows its error inline, and the table shows all hits', async () => {
    await reopenWithSavedFilter(p, 'type:page pageName~/(a+)\\1$/');
    await p.snapshot({ hits: [1, 2].map((i) => ({ seq: i, key: `${i}:${i}`, receivedAt: Date.now(), data: { hitIdHigh: '1', hitIdLow: String(i), reportSuite: 'rs', pageName: `p${i}` } })) });
    await eventuallyEqual(() => pageNames(p), ['p2', 'p1']);
    assert.equal(await p.page.isVisible('.filter-error'), true);
    assert.equal(
      await p.page.textContent('.filter-error'),
      'Backreferences are not supported (filters use linear-time RE2 syntax) (at “\\1”, column 25) — still showing all hits.',
    );
    assert.equal(await p.page.getAttribute('.filter-input', 'aria-invalid'), 'true');
  });

  it('a pattern too expensive to run on every hit is refused, naming the term', async () => {
    await p.snapshot({ hits: [{ seq: 1, key: '1:1', receivedAt: Date.now(), data: { hitIdHigh: '1', hitIdLow: '1', reportSuite: 'rs', pageName: 'a' } }] });
    await eventuallyEqual(() => pageNames(p), ['a']);
    await p.page.fill('.filter-input', 'x pageName~/(a{1000}){1000}/');
    await p.page.press('.filter-input', 'Enter');
    const text = (await p.page.textContent('.filter-error'))!;
    assert.match(text, /^Regular expression too expensive in "pageName~\/\(a\{1000\}\)\{1000\}\/": it compiles to about 1,002,001 instructions \(the limit is 1000\)/);
    assert.match(text, /\(at “pageName~\/\(a\{1000\}\)\{1000\}\/”, column 3\) — still showing all hits\.$/);
    assert.deepEqual(await pageNames(p), ['a']);
  });
});
