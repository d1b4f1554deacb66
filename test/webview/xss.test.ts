import assert from 'node:assert/strict';
import { openPanel, startHarness, until, visibleRows, type Harness, type Panel } from './support/harness';

/**
 * Every string in a hit comes from someone's browser. These hits try the
 * classic ways to turn text into code; all must render as inert text.
 */
const SENTINEL = "window.__pwned = (window.__pwned || 0) + 1";
const payloads = {
  script: `<script>${SENTINEL}</script>`,
  img: `<img src=x onerror="${SENTINEL}">`,
  svg: `<svg onload="${SENTINEL}"></svg>`,
  jsUrl: `javascript:${SENTINEL}`,
  rtl: 'invoice\u202Egpj.exe',
  big: 'A'.repeat(1024 * 1024),
};

function hostileRecordText(): string {
  // Built as JSON text and parsed in the page, so `__proto__` and `constructor` are own keys as in a real record.
  return JSON.stringify({
    hitIdHigh: '1', hitIdLow: '2', visIdHigh: '3', visIdLow: '4', timeGMT: Math.floor(Date.now() / 1000) - 30,
    reportSuite: payloads.svg,
    pageName: payloads.script,
    pageURL: payloads.jsUrl,
    referrer: payloads.jsUrl,
    userAgent: payloads.big,
    evars: { evars: { evar1: payloads.img, evar2: payloads.rtl } },
    props: { prop1: payloads.rtl },
    events: { '<img src=x onerror=alert(1)>': [{ count: 1, exponent: 0, unique: '' }] },
    products: [{ name: payloads.img, category: payloads.script, units: 1, revenue: 100 }],
  }).replace(/^\{/, '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, ');
}

describe('XSS battery: hostile hit text stays inert', function () {
  let h: Harness;
  let p: Panel;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });
  beforeEach(async () => {
    p = await openPanel(h);
    await p.page.evaluate((text) => {
      const data = JSON.parse(text);
      window.postMessage({
        type: 'snapshot', version: 1, maxHits: 100, myTraffic: [], now: Date.now(),
        engine: { streamUrl: 'x', state: { kind: 'connected', since: Date.now() }, stats: { received: 1, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 } },
        hits: [{ seq: 1, key: '1:2', receivedAt: Date.now(), data }],
      }, '*');
    }, hostileRecordText());
    await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 1);
  });
  afterEach(async () => { await p.page.context().close(); });

  async function assertInert(): Promise<void> {
    // Give any injected handler a chance to run: two frames plus an image-error turn.
    await p.frames();
    await p.frames();
    const r = await p.page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      polluted: ({} as Record<string, unknown>).polluted,
      imgs: document.querySelectorAll('img').length,
      svgs: document.querySelectorAll('svg').length,
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
      links: document.querySelectorAll('a[href]').length,
      onAttrs: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      longestText: Math.max(...[...document.querySelectorAll('.cell')].map((c) => (c.textContent ?? '').length)),
    }));
    const rec = await p.record();
    assert.equal(r.pwned, undefined, 'no payload ran');
    assert.equal(r.polluted, undefined, 'Object.prototype not polluted');
    assert.equal(r.imgs, 0, 'no img element from data');
    assert.equal(r.svgs, 0, 'no svg element from data');
    assert.equal(r.scripts.length, 1, 'only the bundle script');
    assert.match(r.scripts[0]!, /\/main\.js$/);
    assert.equal(r.links, 0, 'no links (javascript: URLs are text)');
    assert.equal(r.onAttrs, 0, 'no inline event handler attributes');
    assert.ok(r.longestText <= 301, `cells are capped (longest ${r.longestText})`);
    assert.deepEqual(p.dialogs, []);
    assert.deepEqual(rec.violations, [], 'no CSP violations');
    assert.deepEqual(p.consoleCsp, []);
    assert.deepEqual(rec.errors, []);
  }

  it('table row shows the payloads as text', async () => {
    const [row] = await visibleRows(p.page);
    assert.equal(row![4], payloads.script);
    assert.equal(row![3], payloads.svg);
    await assertInert();
  });

  it('detail pane (decoded) shows payloads as text, bidi override made visible, 1 MB value cut with "show all"', async () => {
    await p.page.click('.grid-spacer .row >> nth=0');
    await until(p.page, () => document.querySelector('.detail-body .group'));
    const text = (await p.page.textContent('.detail-body'))!;
    assert.ok(text.includes(payloads.script));
    assert.ok(text.includes(payloads.img));
    assert.ok(text.includes(payloads.jsUrl));
    assert.ok(text.includes('invoice⟨U+202E⟩gpj.exe'), 'RTL override shown as a visible escape');
    assert.ok(!text.includes('\u202E'), 'no raw RTL override in the DOM text');
    assert.ok(text.includes('show all (1\u202f048\u202f576 chars)'), 'the 1 MB user agent is cut visibly');
    await assertInert();
    // "show all" renders the whole megabyte, still as text.
    await p.page.click('.field[data-path="userAgent"] .show-all');
    await until(p.page, () => (document.querySelector('.field[data-path="userAgent"] .field-value')?.textContent?.length ?? 0) === 1024 * 1024);
    await assertInert();
  });

  it('raw JSON view shows payloads and __proto__ keys as text', async () => {
    await p.page.click('.grid-spacer .row >> nth=0');
    await p.page.click('#tab-raw');
    const raw = (await p.page.textContent('.raw-json'))!;
    assert.ok(raw.includes('"__proto__": {\n    "polluted": "yes"\n  }'), '__proto__ printed as data');
    assert.ok(raw.includes(JSON.stringify(payloads.script)));
    await p.page.click('.detail-body .show-all');
    await until(p.page, () => (document.querySelector('.raw-json')?.textContent?.length ?? 0) > 1024 * 1024);
    await assertInert();
  });

  it('filtering over hostile values works and stays inert', async () => {
    await p.page.fill('.filter-input', 'pageName:"<script>"');
    await p.page.press('.filter-input', 'Enter');
    await p.frames();
    assert.equal((await visibleRows(p.page)).length, 1);
    await p.page.fill('.filter-input', 'userAgent~/^A+$/');
    await p.page.press('.filter-input', 'Enter');
    await p.frames();
    await assertInert();
  });
});
