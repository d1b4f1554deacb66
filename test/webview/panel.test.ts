import assert from 'node:assert/strict';
import { engineSnapshot, eventuallyEqual, type Panel, until, usePanelPerTest, visibleRows } from './support/harness';
import { hit, sampleHit } from './support/fixtures';
import { DEBOUNCE_MS } from '../../src/webview/filterBox';

/** Column order of the default layout: time, lag, type, suite, page, url, events, visitor, rules. */
const PAGE = 4;

async function pageNames(p: Panel): Promise<string[]> {
  return (await visibleRows(p.page)).map((r) => r[PAGE]!);
}

async function typeFilter(p: Panel, text: string): Promise<void> {
  await p.page.fill('.filter-input', text);
  await p.page.press('.filter-input', 'Enter');
  await p.frames();
}

describe('hits webview in Chromium', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  it('says ready first, with the protocol version', async () => {
    const posted = await p.posted();
    assert.deepEqual(posted[0], { type: 'ready', version: 1 });
  });

  describe('empty states and the state strip', () => {
    it('offers Connect and Demo when not connected, and the buttons post their messages', async () => {
      await p.snapshot({ engine: engineSnapshot({ kind: 'idle' }) });
      await until(p.page, () => document.querySelector('.grid-empty')?.textContent?.includes('Not connected'));
      await p.page.click('.grid-empty button:has-text("Connect to Demo Stream")');
      await p.page.click('.grid-empty button:has-text("Connect")  >> nth=0');
      const types = (await p.posted()).map((m) => m.type);
      assert.ok(types.includes('connectDemo') && types.includes('connect'), types.join());
    });

    it('explains an empty connected stream', async () => {
      await p.snapshot({ engine: engineSnapshot({ kind: 'connected', since: Date.now() }) });
      await until(p.page, () => document.querySelector('.grid-empty')?.textContent === 'Connected, no hits yet. An idle report suite sends nothing; Live Stream latency is 20 s to 5 min.');
    });

    it('counts a cooldown down live, in host time', async () => {
      // The host clock runs 10 minutes ahead of the page: the countdown must use the offset.
      const hostNow = Date.now() + 600_000;
      await p.snapshot({ now: hostNow, engine: engineSnapshot({ kind: 'cooldown', since: hostNow - 1000, until: hostNow + 42_000, code: '409', auto: true }) });
      const text = () => p.page.textContent('.grid-empty');
      await until(p.page, () => /Cooling down after 409, reconnecting in 4[12] s\./.test(document.querySelector('.grid-empty')?.textContent ?? ''));
      const first = Number(/in (\d+) s/.exec((await text()) ?? '')![1]);
      await until(p.page, (f: number) => Number(/in (\d+) s/.exec(document.querySelector('.grid-empty')!.textContent!)![1]) < f, first, 5000);
      assert.match((await p.page.textContent('.strip .state-text')) ?? '', /Cooling down after 409, reconnecting in \d+ s/);
    });

    it('shows counters, kept/limit and the last error with its explanation, marked resolved once connected after it', async () => {
      const at = Date.now() - 120_000;
      await p.snapshot({
        maxHits: 5000,
        hits: [hit(1, { pageName: 'A' }), hit(2, { pageName: 'B' })],
        engine: engineSnapshot({ kind: 'connected', since: at + 60_000 }, {
          stats: { received: 18204, duplicates: 37, malformed: 0, oversized: 0, hitsPerSecond: 42.34 },
          lastError: { code: '409', status: 409, description: 'Maximum connections reached', explanation: 'Another client holds the connection; waiting before retrying.', at },
        }),
      });
      await until(p.page, () => document.querySelector('.state-text')?.textContent?.startsWith('Connected'));
      const strip = (await p.page.textContent('.strip'))!.replace(/\u202f/g, ' ');
      assert.match(strip, /Connected · 42\.3 hits\/s · 18 204 received · 37 dupes dropped · 2\/5 000 kept/);
      assert.match(strip, /last error 409 “Maximum connections reached” — Another client holds the connection; waiting before retrying\. · \d\d:\d\d:\d\d \(resolved\)/);
      assert.ok(await p.page.isVisible('.strip button:has-text("Disconnect")'));
    });

    it('never silent at firehose rates: "falling behind" and "N hits/s arriving, showing the newest …" from the host', async () => {
      const connected = { kind: 'connected', since: Date.now() - 60_000 };
      await p.snapshot({ hits: [hit(1, { pageName: 'A' })] });
      const text = async () => ((await p.page.textContent('.strip .state-text')) ?? '').replace(/\u202f/g, ' ');
      await p.send({ type: 'hits', hits: [hit(2, { pageName: 'B' }), hit(3, { pageName: 'C' })], now: Date.now(), notShown: { arrived: 4800, shown: 2 },
        engine: engineSnapshot(connected, { stats: { received: 90_000, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 48_000, fallingBehind: true } }) });
      await until(p.page, () => document.querySelector('.strip .state-text')?.textContent?.includes('falling behind'));
      const t = await text();
      assert.match(t, /Connected · 48000 hits\/s · falling behind · /);
      assert.match(t, /48000 hits\/s arriving, showing the newest 2 of every 4 800/);
      assert.equal(await p.page.getAttribute('.strip', 'data-state'), 'behind');
      assert.ok(await p.page.isVisible('.strip .codicon-warning'));
      // Caught up, batches whole again: both notes go (the "newest" one after 2 s without a partial batch).
      await p.send({ type: 'state', now: Date.now(), engine: engineSnapshot(connected, { stats: { received: 90_001, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 40 } }) });
      await until(p.page, () => !document.querySelector('.strip .state-text')?.textContent?.includes('falling behind'));
      assert.equal(await p.page.getAttribute('.strip', 'data-state'), 'connected');
      await p.page.waitForTimeout(2100);
      await p.send({ type: 'hits', hits: [hit(4, { pageName: 'D' })], now: Date.now() });
      await until(p.page, () => !document.querySelector('.strip .state-text')?.textContent?.includes('arriving'));
    });
  });

  describe('the Adobe sample hit', () => {
    beforeEach(async () => {
      await p.snapshot({ hits: [sampleHit(7)] });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 1);
    });

    it('renders a summary row', async () => {
      const [row] = await visibleRows(p.page);
      assert.equal(row![PAGE], 'Page #8552');
      assert.equal(row![1], '45s'); // lag: received 45 s after timeGMT
      assert.equal(row![3], 'examplecomprod');
      assert.equal(row![5], 'example.com/page8552.html');
      assert.match(row![6]!, /event1/);
      assert.match(row![7]!, /1944017885723175213/);
    });

    it('shows exact 64-bit ids and decoded groups in the detail pane', async () => {
      await p.page.click('.grid-spacer .row >> nth=0');
      await until(p.page, () => document.querySelector('.detail-body .group'));
      const text = (await p.page.textContent('.detail-body'))!;
      for (const id of ['4948646782672799561', '2948027281753079808', '1944017885723175213', '2512895455560210216']) {
        assert.ok(text.includes(id), `detail pane shows ${id}`);
      }
      const groups = await p.page.$$eval('.detail-body .group-title', (els) => els.map((e) => e.textContent));
      for (const g of ['Page', 'Events', 'Products']) assert.ok(groups.some((t) => t?.includes(g)), `group ${g} in ${groups.join()}`);
      assert.ok(text.includes('Summer Shoe Promo'), 'eVar1');
      assert.ok(text.includes('DFA:172612:21725632:182361'), 'campaign');
      assert.ok(text.includes('Mens Black Running Shoes'), 'product table');
      assert.equal(await p.page.textContent('.detail-title'), await p.page.textContent('.detail-title')); // rendered
      assert.match((await p.page.textContent('.detail-title'))!, /Page “Page #8552”/);
    });

    it('shows the raw JSON with ids unquoted, as in the record', async () => {
      await p.page.click('.grid-spacer .row >> nth=0');
      await p.page.click('#tab-raw');
      const raw = (await p.page.textContent('.raw-json'))!;
      assert.match(raw, /"hitIdLow": 4948646782672799561,/);
      assert.match(raw, /"hitIdHigh": 2948027281753079808,/);
      assert.match(raw, /"visIdHigh": 1944017885723175213,/);
      assert.match(raw, /"customVisId": "420520",/); // a real string stays quoted
      assert.equal(await p.page.getAttribute('#tab-raw', 'aria-selected'), 'true');
    });

    it('copies through the host: exact raw hit by seq, and single values as text', async () => {
      await p.page.click('.grid-spacer .row >> nth=0');
      await p.page.click('.copy-hit');
      // Copy buttons appear on hover (and on keyboard focus).
      await p.page.hover('.field[data-path="hitIdLow"] .field-value');
      await p.page.click('.field[data-path="hitIdLow"] .copy');
      const posted = await p.posted();
      assert.ok(posted.some((m) => m.type === 'copyHit' && m.seq === 7), 'copyHit posted with the seq');
      assert.ok(posted.some((m) => m.type === 'copyText' && m.text === '4948646782672799561'), JSON.stringify(posted));
    });
  });

  describe('filter language through the UI', () => {
    const hits = [
      hit(1, { pageName: 'Home', pageURL: 'https://shop.example.com/', evars: { evars: { evar5: 'summer' } }, visIdHigh: '111', visIdLow: '222' }),
      hit(2, { pageName: 'Checkout', pageURL: 'https://shop.example.com/checkout', evars: { evars: { evar5: 'summer sale' } }, events: { purchase: [{ count: 1, exponent: 0, unique: '' }] }, products: [{ name: 'Shoe', category: 'C', units: 1, revenue: 1799 }] }),
      hit(3, { pageName: 'Cart', pageURL: 'https://shop.example.com/cart', linkURL: 'https://shop.example.com/x.pdf', pageEventType: 'd', props: { prop3: 'blue' } }),
      hit(4, { pageName: 'Search Results', pageURL: 'https://other.example.org/search', geoCity: 'paris' }),
    ];
    beforeEach(async () => {
      await p.snapshot({ hits, myTraffic: ['111:222'] });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 4);
    });

    const cases: Array<[string, string[]]> = [
      ['', ['Search Results', 'Cart', 'Checkout', 'Home']],
      ['checkout', ['Checkout']], // free text over all values
      ['pageName:check', ['Checkout']],
      ['pageName:HOME', ['Home']], // `:` ignores case
      ['evar5=summer', ['Home']], // exact
      ['evar5:summer', ['Checkout', 'Home']], // substring
      ['pageURL~/\\/c(art|heckout)$/', ['Cart', 'Checkout']],
      ['-pageName:home', ['Search Results', 'Cart', 'Checkout']],
      ['has:prop3', ['Cart']],
      ['-has:evar5 geoCity:paris', ['Search Results']], // AND + negated has
      ['is:mine', ['Home']],
      ['type:commerce', ['Checkout']],
      ['type:link', ['Cart']],
      ['pageName:"search results"', ['Search Results']],
      ['products.name:shoe', ['Checkout']],
    ];
    for (const [filter, expected] of cases) {
      it(`${filter || '(empty)'} → ${expected.join(', ')}`, async () => {
        await typeFilter(p, filter);
        assert.deepEqual(await pageNames(p), expected);
        assert.equal(await p.page.isVisible('.filter-error'), false);
      });
    }

    it('an invalid filter shows an inline error and keeps the last valid result', async () => {
      await typeFilter(p, 'evar5:summer');
      assert.deepEqual(await pageNames(p), ['Checkout', 'Home']);
      await typeFilter(p, 'pageName~/(unclosed/');
      assert.equal(await p.page.isVisible('.filter-error'), true);
      assert.match((await p.page.textContent('.filter-error'))!, /still showing “evar5:summer”/);
      assert.equal(await p.page.getAttribute('.filter-input', 'aria-invalid'), 'true');
      assert.deepEqual(await pageNames(p), ['Checkout', 'Home'], 'table keeps the last valid result');
      // Escape clears the filter and the error.
      await p.page.press('.filter-input', 'Escape');
      await p.frames();
      assert.equal(await p.page.inputValue('.filter-input'), '');
      assert.equal(await p.page.isVisible('.filter-error'), false);
      assert.equal((await pageNames(p)).length, 4);
    });

    it('a filter that matches nothing says so instead of a blank table', async () => {
      await typeFilter(p, 'pageName=Nope');
      assert.match((await p.page.textContent('.grid-empty'))!, /No hits match “pageName=Nope” \(4 kept\)/);
      await p.page.click('.grid-empty button:has-text("Clear filter")');
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 4);
    });

    it('typing (no Enter): the filter applies after the debounce, and the panel records key-to-frame time for that text', async () => {
      const t0 = Date.now();
      await p.page.type('.filter-input', 'pageName:cart');
      await until(p.page, () => document.querySelector<HTMLInputElement>('.filter-input')?.dataset.appliedText === 'pageName:cart');
      const outside = Date.now() - t0;
      assert.deepEqual(await pageNames(p), ['Cart']);
      const ms = Number(await p.page.getAttribute('.filter-input', 'data-applied-after-ms'));
      // From the last key: at least the debounce, never more than the whole typing seen from outside.
      assert.ok(ms >= DEBOUNCE_MS && ms <= outside, `recorded ${ms} ms (outside: ${outside} ms for typing and applying)`);
    });

    it('quick chips toggle their term in the filter text', async () => {
      await p.page.click('.chip:has-text("Page views")');
      await p.frames();
      assert.equal(await p.page.inputValue('.filter-input'), 'type:page');
      assert.equal(await p.page.getAttribute('.chip:has-text("Page views")', 'aria-pressed'), 'true');
      assert.deepEqual(await pageNames(p), ['Search Results', 'Home']);
      await p.page.click('.chip:has-text("My traffic")');
      await p.frames();
      assert.equal(await p.page.inputValue('.filter-input'), 'type:page is:mine');
      assert.deepEqual(await pageNames(p), ['Home']);
      await p.page.click('.chip:has-text("Page views")');
      await p.frames();
      assert.equal(await p.page.inputValue('.filter-input'), 'is:mine');
    });

    it('new hits are filtered as they arrive', async () => {
      await typeFilter(p, 'pageName:new');
      await p.hits([hit(5, { pageName: 'new one' }), hit(6, { pageName: 'old style' })]);
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 1);
      assert.deepEqual(await pageNames(p), ['new one']);
    });
  });

  describe('pause, clear, auto-scroll', () => {
    it('pause holds the table still and counts waiting hits; resume applies them', async () => {
      await p.snapshot({ hits: [hit(1, { pageName: 'one' })] });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 1);
      await p.page.click('.toolbar button:has-text("Pause")');
      await p.hits([hit(2, { pageName: 'two' }), hit(3, { pageName: 'three' })]);
      await p.hits([hit(4, { pageName: 'four' })]);
      await until(p.page, () => document.querySelector('.pausebar')?.textContent?.includes('3 new hits waiting'));
      assert.deepEqual(await pageNames(p), ['one'], 'table holds still');
      assert.equal(await p.page.getAttribute('.toolbar button:has-text("Resume")', 'aria-pressed'), 'true');
      await p.page.click('.pausebar button:has-text("Resume")');
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 4);
      assert.deepEqual(await pageNames(p), ['four', 'three', 'two', 'one']);
      assert.equal(await p.page.isVisible('.pausebar'), false);
    });

    it('Clear asks the host and empties the table', async () => {
      await p.snapshot({ hits: [hit(1, { pageName: 'one' }), hit(2, { pageName: 'two' })] });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 2);
      await p.page.click('.toolbar button:has-text("Clear")');
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 0);
      assert.ok((await p.posted()).some((m) => m.type === 'clear'));
      assert.match((await p.page.textContent('.grid-empty'))!, /Connected, no hits yet/);
      // A batch from before the clear (lower seq) must not bring rows back. Messages are
      // handled in order, so once the next batch shows, the stale one has been handled.
      await p.hits([hit(2, { pageName: 'two' })]);
      await p.hits([hit(3, { pageName: 'three' })]);
      await eventuallyEqual(() => pageNames(p), ['three']);
    });

    it('keeps at most maxHits rows, dropping the oldest', async () => {
      await p.snapshot({ maxHits: 3, hits: [1, 2, 3].map((i) => hit(i, { pageName: `p${i}` })) });
      await p.hits([hit(4, { pageName: 'p4' }), hit(5, { pageName: 'p5' })]);
      // Wait for the batch itself (3 rows were already visible before it).
      await until(p.page, () => document.querySelector('.grid-spacer .row[data-seq="5"]') && document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 3);
      assert.deepEqual(await pageNames(p), ['p5', 'p4', 'p3']);
    });

    it('follows new hits at the top, and holds still when scrolled away', async () => {
      await p.generate('snapshot', 2000, 1);
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length > 10);
      await p.generate('hits', 5, 2001, { tag: 'new' });
      await until(p.page, () => document.querySelector('.grid-spacer .row[data-seq="2005"]'));
      assert.match((await pageNames(p))[0]!, /#2005$/, 'at the top, newest hits show');

      await p.page.evaluate(() => { document.querySelector('.grid-body')!.scrollTop = 22 * 500; });
      await p.frames();
      const before = (await pageNames(p)).slice(0, 5);
      await p.generate('hits', 20, 2006);
      await until(p.page, () => !document.querySelector<HTMLElement>('.newer-hits')!.hidden);
      await p.frames();
      assert.deepEqual((await pageNames(p)).slice(0, 5), before, 'rows under the reader did not move');
      assert.match((await p.page.textContent('.newer-hits'))!, /20 newer hits/);
      await p.page.click('.newer-hits');
      await until(p.page, () => document.querySelector('.grid-body')!.scrollTop === 0);
      await p.frames();
      assert.match((await pageNames(p))[0]!, /#2025$/);
    });
  });

  describe('keyboard and accessibility', () => {
    beforeEach(async () => {
      await p.snapshot({ hits: [1, 2, 3, 4].map((i) => hit(i, { pageName: `p${i}` })) });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 4);
    });

    it('exposes grid roles', async () => {
      const a = await p.page.evaluate(() => {
        const g = document.querySelector('[role=grid]')!;
        return {
          rowcount: g.getAttribute('aria-rowcount'),
          headers: [...g.querySelectorAll('[role=columnheader]')].map((e) => e.textContent),
          rows: g.querySelectorAll('[role=row]').length,
          cells: g.querySelectorAll('[role=row] [role=gridcell]').length,
          rowindex: g.querySelector('.grid-spacer [role=row]')!.getAttribute('aria-rowindex'),
        };
      });
      assert.equal(a.rowcount, '5');
      assert.deepEqual(a.headers, ['Time', 'Lag', 'Type', 'Report suite', 'Page name', 'URL', 'Events', 'Visitor', 'Rules']);
      assert.equal(a.rows, 5);
      assert.equal(a.cells, 36);
      assert.equal(a.rowindex, '2');
    });

    it('arrows move the selection, Enter opens details, / focuses the filter, Escape clears it', async () => {
      await p.page.focus('.grid');
      await p.page.keyboard.press('ArrowDown');
      await p.frames();
      const sel = () => p.page.$$eval('.grid-spacer .row[aria-selected=true]', (els) => els.map((e) => e.querySelector('.c-page')!.textContent));
      assert.deepEqual(await sel(), ['p4']);
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('ArrowDown');
      await p.frames();
      assert.deepEqual(await sel(), ['p2']);
      await p.page.keyboard.press('ArrowUp');
      await p.frames();
      assert.deepEqual(await sel(), ['p3']);
      assert.equal(await p.page.getAttribute('.grid', 'aria-activedescendant'), 'hit-row-3');
      await p.page.keyboard.press('End');
      await p.frames();
      assert.deepEqual(await sel(), ['p1']);
      await p.page.keyboard.press('Home');
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('Enter');
      await p.frames();
      assert.match((await p.page.textContent('.detail-title'))!, /Page “p3”/);
      assert.ok(await p.page.evaluate(() => document.querySelector('.detail')!.contains(document.activeElement)), 'focus moved into the detail pane');
      await p.page.keyboard.press('Escape');
      assert.ok(await p.page.evaluate(() => document.activeElement?.classList.contains('grid')), 'Escape returns to the table');

      await p.page.keyboard.press('/');
      assert.ok(await p.page.evaluate(() => document.activeElement?.classList.contains('filter-input')));
      await p.page.keyboard.type('p2');
      await p.page.keyboard.press('Enter');
      await p.frames();
      assert.deepEqual(await pageNames(p), ['p2']);
      await p.page.keyboard.press('Escape');
      await p.frames();
      assert.equal(await p.page.inputValue('.filter-input'), '');
      assert.equal((await pageNames(p)).length, 4);
    });
  });

  describe('export, state, protocol', () => {
    it('Export posts the format and the applied filter, and shows the result', async () => {
      await p.snapshot({ hits: [hit(1, { pageName: 'a' })] });
      await typeFilter(p, 'pageName:a');
      await p.page.click('.toolbar button:has-text("Export")');
      await p.page.click('.menu-item:has-text("CSV")');
      // A half-typed invalid filter is not what gets exported.
      await typeFilter(p, 'pageName~/(');
      await p.page.click('.toolbar button:has-text("Export")');
      await p.page.keyboard.press('Enter'); // first item: NDJSON
      const exports = (await p.posted()).filter((m) => m.type === 'export');
      assert.deepEqual(exports, [{ type: 'export', format: 'csv', filter: 'pageName:a' }, { type: 'export', format: 'ndjson', filter: 'pageName:a' }]);
      await p.send({ type: 'exportResult', outcome: 'done', format: 'csv', count: 1234, path: '/tmp/x.csv' });
      await until(p.page, () => document.querySelector('.toast')?.textContent?.replace(/\u202f/g, ' ') === 'Exported 1 234 hits.');
    });

    it('view choices survive a reload (hidden columns, widths, UTC, filter)', async () => {
      await p.snapshot({ hits: [hit(1, { pageName: 'a' }, Date.UTC(2024, 0, 1, 23, 30, 15))] });
      await p.page.click('.toolbar button[title="Columns"]');
      await p.page.click('.menu-item:has-text("Visitor")');
      await p.page.click('.toolbar button:has-text("UTC")');
      await typeFilter(p, 'pageName:a');
      // Drag the Page name column edge 60 px to the right.
      const box = (await p.page.locator('.grid-head .c-page .col-resizer').boundingBox())!;
      await p.page.mouse.move(box.x + 3, box.y + 5);
      await p.page.mouse.down();
      await p.page.mouse.move(box.x + 63, box.y + 5, { steps: 4 });
      await p.page.mouse.up();
      const widthBefore = await p.page.$eval('.grid-head .c-page', (e) => e.getBoundingClientRect().width);

      await p.page.reload();
      await until(p.page, () => (window as unknown as { __vscodeStandIn: { posted: { type: string }[] } }).__vscodeStandIn.posted.some((m) => m.type === 'ready'));
      await p.snapshot({ hits: [hit(1, { pageName: 'a' }, Date.UTC(2024, 0, 1, 23, 30, 15))] });
      await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 1);
      const headers = await p.page.$$eval('[role=columnheader]', (els) => els.map((e) => e.textContent));
      assert.ok(!headers.includes('Visitor'), headers.join());
      assert.equal(await p.page.inputValue('.filter-input'), 'pageName:a');
      assert.equal(await p.page.getAttribute('.toolbar button:has-text("UTC")', 'aria-pressed'), 'true');
      assert.equal((await visibleRows(p.page))[0]![0], '23:29:45'); // timeGMT = received − 30 s, in UTC
      const widthAfter = await p.page.$eval('.grid-head .c-page', (e) => e.getBoundingClientRect().width);
      assert.equal(widthAfter, widthBefore);
      assert.ok(widthAfter >= 235, `resized width ${widthAfter}`);
    });

    it('ignores and logs an invalid host message', async () => {
      await p.snapshot({ hits: [hit(1, { pageName: 'a' })] });
      await p.send({ type: 'hits', hits: [{ seq: 'x', data: null }], now: 1 });
      await p.send({ type: 'snapshot', version: 999, hits: [], engine: {}, maxHits: 1, myTraffic: [], now: 1 });
      await until(p.page, () => (window as unknown as { __vscodeStandIn: { posted: { type: string }[] } }).__vscodeStandIn.posted.filter((m) => m.type === 'log').length === 2);
      // The rows render on a later frame than the messages are handled: poll, do not read once.
      await eventuallyEqual(() => pageNames(p), ['a']);
    });
  });
});
