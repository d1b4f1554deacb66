// Issue 13 in the real panel (Chromium): follow / unfollow a visitor, the pinned
// "My traffic" view, "waiting for your hit", and Compare two hits (two rows, or a
// hit and a golden hit). The host's answers are sent as the host sends them.
import assert from 'node:assert/strict';
import { WAITING_TEXT } from '../../src/webview/visitorUi';
import { eventuallyEqual, type Panel, until, usePanelPerTest, visibleRows } from './support/harness';
import { hit, sampleHit } from './support/fixtures';

const PAGE = 4;
const SAMPLE_VIS = '1944017885723175213:2512895455560210216';

async function pageNames(p: Panel): Promise<string[]> {
  return (await visibleRows(p.page)).map((r) => r[PAGE]!);
}

async function posted(p: Panel, type: string): Promise<Array<Record<string, unknown>>> {
  return (await p.posted()).filter((m) => m.type === type);
}

async function waitPosted(p: Panel, type: string): Promise<Record<string, unknown>> {
  await until(p.page, (t: string) => (window as unknown as { __vscodeStandIn: { posted: Array<{ type: string }> } }).__vscodeStandIn.posted.some((m) => m.type === t), type);
  return (await posted(p, type)).at(-1)!;
}

async function rows(p: Panel, n: number): Promise<void> {
  await until(p.page, (k: number) => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === k, n);
}

const barText = (p: Panel) => p.page.evaluate(() => document.querySelector('.follow-wait')?.textContent ?? '');

describe('follow my visitor (webview)', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  it('Follow on a hit with several ids lets the user pick; the host\'s answer pins "My traffic" and says it is waiting', async () => {
    await p.snapshot({ hits: [sampleHit(7), hit(8, { pageName: 'Someone else', visIdHigh: '5', visIdLow: '6' })] });
    await rows(p, 2);
    await p.page.click('.grid-spacer .row[data-seq="7"]');
    await p.page.click('.detail .follow-btn');
    const items = await p.page.$$eval('.menu .menu-item', (els) => els.map((e) => e.textContent));
    assert.deepEqual(items, ['Follow by Visitor ID (visIdHigh:visIdLow) 1944017885…60210216', 'Follow by Custom visitor ID 420520', 'Follow by IP address 91.71.30.70']);
    await p.page.click('.menu-item:has-text("Visitor ID")');
    assert.deepEqual(await waitPosted(p, 'follow'), { type: 'follow', id: SAMPLE_VIS });
    assert.equal(await p.page.isVisible('.follow-bar'), false, 'nothing followed until the host says so');

    // The host wrote liveStream.myTraffic and answers with the followed set.
    const since = Date.now() - 65_000;
    await p.send({ type: 'followState', entries: [SAMPLE_VIS], since });
    await until(p.page, () => !document.querySelector<HTMLElement>('.follow-bar')!.hidden);
    assert.equal(await p.page.inputValue('.filter-input'), 'is:mine', 'My traffic view pinned');
    await eventuallyEqual(() => pageNames(p), ['Page #8552']);
    await until(p.page, () => /so far$/.test(document.querySelector('.follow-wait')?.textContent ?? ''));
    const waiting = await barText(p);
    assert.ok(waiting.startsWith(`${WAITING_TEXT} · 1m 0`), waiting);
    assert.equal(WAITING_TEXT, 'Waiting for your hit, typical delay 20 s – 5 min (about 10 min more with A4T)');
    assert.equal(await p.page.getAttribute('.follow-wait', 'data-state'), 'waiting');
    // The elapsed time counts on by itself.
    const first = waiting;
    await until(p.page, (f: string) => document.querySelector('.follow-wait')!.textContent !== f, first, 3000);

    // The visitor's next hit arrives (sent 41 s before it was received).
    const now = Date.now();
    await p.hits([{ ...sampleHit(9, now), data: { ...sampleHit(9).data, pageName: 'Checkout', hitIdLow: '9', timeGMT: Math.floor(now / 1000) - 41 } }]);
    await until(p.page, () => document.querySelector('.follow-wait')?.getAttribute('data-state') === 'arrived');
    assert.match(await barText(p), /^Last hit \d\d:\d\d:\d\d, 4[12]s after it was sent$/);
    await eventuallyEqual(() => pageNames(p), ['Checkout', 'Page #8552'], 'newest first, only the followed visitor');
  });

  it('F on a hit with one id follows at once; × in the bar unfollows', async () => {
    await p.snapshot({ hits: [hit(1, { pageName: 'Mine', customVisId: 'dev-42' })] });
    await rows(p, 1);
    await p.page.click('.grid-spacer .row >> nth=0');
    await p.page.keyboard.press('f');
    assert.deepEqual(await waitPosted(p, 'follow'), { type: 'follow', id: 'dev-42' });
    await p.send({ type: 'followState', entries: ['dev-42'], since: Date.now() });
    await until(p.page, () => document.querySelector('.follow-chip')?.textContent === 'dev-42');
    await p.page.click('.follow-chip .unfollow');
    assert.deepEqual(await waitPosted(p, 'unfollow'), { type: 'unfollow', id: 'dev-42' });
    await p.send({ type: 'followState', entries: [] });
    await until(p.page, () => document.querySelector<HTMLElement>('.follow-bar')!.hidden);
    assert.equal(await p.page.inputValue('.filter-input'), '', 'the last visitor unfollowed: back to all hits');
    assert.equal(await p.page.isVisible('.filter-error'), false);
    // Following again from the menu now offers "Unfollow" for an id that is followed.
    await p.send({ type: 'followState', entries: ['dev-42'] });
    await p.page.click('.detail .follow-btn');
    assert.deepEqual(await p.page.$$eval('.menu .menu-item', (els) => els.map((e) => e.textContent)), ['Unfollow Custom visitor ID dev-42']);
  });

  it('a hit without any visitor id says so instead of following nothing', async () => {
    await p.snapshot({ hits: [{ seq: 1, key: '', receivedAt: Date.now(), data: { pageName: 'anonymous' } }] });
    await rows(p, 1);
    await p.page.click('.grid-spacer .row >> nth=0');
    await p.page.click('.detail .follow-btn');
    await until(p.page, () => /no ECID, visitor id, custom visitor id or IP/.test(document.querySelector('.toast')?.textContent ?? ''));
    assert.equal((await posted(p, 'follow')).length, 0);
  });

  it('the "My traffic" view shows only the followed visitors, newest first, and toggles off', async () => {
    const hits = [
      hit(1, { pageName: 'A mine', visIdHigh: '111', visIdLow: '222' }),
      hit(2, { pageName: 'B other', visIdHigh: '333', visIdLow: '444' }),
      hit(3, { pageName: 'C mine by ip', ip: '10.1.2.3' }),
      hit(4, { pageName: 'D mine', visIdHigh: '111', visIdLow: '222' }),
      hit(5, { pageName: 'E other', ip: '10.9.9.9' }),
    ];
    await p.snapshot({ hits });
    await rows(p, 5);
    await p.send({ type: 'followState', entries: ['111:222', '10.1.2.3'] });
    await until(p.page, () => !document.querySelector<HTMLElement>('.follow-bar')!.hidden);
    await p.page.click('.follow-view');
    await eventuallyEqual(() => pageNames(p), ['D mine', 'C mine by ip', 'A mine']);
    assert.equal(await p.page.getAttribute('.follow-view', 'aria-pressed'), 'true');
    assert.equal(await p.page.getAttribute('.chip[data-term="is:mine"]', 'aria-pressed'), 'true', 'the same view as the My traffic chip');
    await p.hits([hit(6, { pageName: 'F mine', visIdHigh: '111', visIdLow: '222' }), hit(7, { pageName: 'G other' })]);
    await eventuallyEqual(() => pageNames(p), ['F mine', 'D mine', 'C mine by ip', 'A mine']);
    assert.match(await barText(p), /^Last hit /);
    await p.page.click('.follow-view');
    await eventuallyEqual(() => pageNames(p), ['G other', 'F mine', 'E other', 'D mine', 'C mine by ip', 'B other', 'A mine']);
  });
});

describe('compare two hits (webview)', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  const evil = '<img src=x onerror="window.__pwned=1">';
  const a = hit(1, { pageName: 'Cart', evars: { evars: { evar1: 'blue', evar2: 'same' } }, props: { prop1: 'x' }, events: { scadd: [{ count: 1, exponent: 0, unique: '' }] } });
  const b = hit(2, { pageName: 'Cart', evars: { evars: { evar1: evil, evar2: 'same', evar9: 'new' } }, events: { scadd: [{ count: 2, exponent: 0, unique: '' }] } });

  async function diffRows(): Promise<string[]> {
    return p.page.$$eval('.diff-view details[data-group]:not([data-group="volatile"]) .diff-row', (els) => els.map((r) => [...r.children].map((c) => c.textContent).join(' | ')));
  }

  it('Ctrl-click a second row: a field-level diff in the Analytics groups, hostile values inert', async () => {
    await p.snapshot({ hits: [a, b] });
    await rows(p, 2);
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await p.page.click('.grid-spacer .row[data-seq="2"]', { modifiers: ['Control'] });
    await until(p.page, () => !document.querySelector<HTMLElement>('.diff-view')!.hidden);
    const groups = await p.page.$$eval('.diff-view details[data-group]', (els) => els.map((e) => e.getAttribute('data-group')));
    assert.deepEqual(groups, ['evars', 'props', 'events', 'volatile']);
    assert.deepEqual(await diffRows(), [
      `eVar1 | changed | blue | ${evil}`,
      'eVar9 | added | — | new',
      'prop1 | removed | x | —',
      'Cart Add | changed | 1 | 2',
    ]);
    // 2 tracking changes + the hit ids (volatile group).
    assert.match((await p.page.textContent('.diff-summary'))!, /^[45] changed · 1 added in B · 1 only in A · \d+ the same$/);
    assert.equal(await p.page.$$eval('.diff-view img', (els) => els.length), 0, 'no markup from hit data');
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.page.getAttribute('.diff-view details[data-group="volatile"]', 'open'), null, 'ids and times folded away');
    // The grid kept its selection: Ctrl-click compared instead of selecting.
    assert.equal(await p.page.getAttribute('.grid-spacer .row[data-seq="1"]', 'aria-selected'), 'true');
    await p.page.keyboard.press('Escape');
    await until(p.page, () => document.querySelector<HTMLElement>('.diff-view')!.hidden);
  });

  it('identical tracking says so', async () => {
    await p.snapshot({ hits: [a, { ...a, seq: 2, key: '2:2', data: { ...a.data, hitIdLow: '77' } }] });
    await rows(p, 2);
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await p.page.click('.grid-spacer .row[data-seq="2"]', { modifiers: ['Control'] });
    await until(p.page, () => /tracking is the same/.test(document.querySelector('.diff-summary')?.textContent ?? ''));
    assert.deepEqual(await diffRows(), []);
  });

  it('Compare → another hit: the next click compares', async () => {
    await p.snapshot({ hits: [a, b] });
    await rows(p, 2);
    await p.page.click('.grid-spacer .row[data-seq="2"]');
    await p.page.click('.detail .compare-btn');
    await waitPosted(p, 'listGolden');
    await p.send({ type: 'goldenList', names: [], skipped: 0 });
    await p.page.click('.menu-item:has-text("With another hit")');
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await until(p.page, () => !document.querySelector<HTMLElement>('.diff-view')!.hidden);
    // Base (A) is the hit the comparison started from.
    assert.equal((await diffRows())[0], `eVar1 | changed | ${evil} | blue`);
  });

  it('Save as golden hit asks the host by seq; a golden hit from the workspace is compared with the selected hit', async () => {
    await p.snapshot({ hits: [sampleHit(7)] });
    await rows(p, 1);
    await p.page.click('.grid-spacer .row >> nth=0');
    await p.page.click('.detail .golden-btn');
    assert.deepEqual(await waitPosted(p, 'saveGolden'), { type: 'saveGolden', seq: 7 });

    await p.page.click('.detail .compare-btn');
    await waitPosted(p, 'listGolden');
    await p.send({ type: 'goldenList', names: ['checkout.json', 'home.json'], skipped: 2 });
    const items = await p.page.$$eval('.menu .menu-item', (els) => els.map((e) => e.textContent));
    assert.deepEqual(items, ['With another hit… (then click it; or Ctrl/Cmd-click a row)', 'With golden hit checkout.json', 'With golden hit home.json', '2 more file(s) not listed (unusable names or over the limit)']);
    await p.page.click('.menu-item:has-text("checkout.json")');
    assert.deepEqual(await waitPosted(p, 'loadGolden'), { type: 'loadGolden', name: 'checkout.json' });
    const golden = { ...sampleHit(7).data, evars: { evars: { campaign: 'DFA:172612:21725632:182361', evar1: 'Summer Shoe Promo', evar3: 'golden only' } }, pageName: evil };
    await p.send({ type: 'goldenHit', name: 'checkout.json', data: golden });
    await until(p.page, () => !document.querySelector<HTMLElement>('.diff-view')!.hidden);
    assert.match((await p.page.textContent('.diff-legend'))!, /A: golden hit checkout\.json\s+⟷\s+B: hit \d\d:\d\d:\d\d · Page #8552/);
    assert.deepEqual(await diffRows(), [`Page name | changed | ${evil} | Page #8552`, 'eVar3 | removed | golden only | —']);
    assert.equal(await p.page.$$eval('.diff-view img', (els) => els.length), 0);
  });

  it('a golden hit the host could not read is reported, not compared', async () => {
    await p.snapshot({ hits: [sampleHit(7)] });
    await rows(p, 1);
    await p.page.click('.grid-spacer .row >> nth=0');
    await p.page.click('.detail .compare-btn');
    await waitPosted(p, 'listGolden');
    await p.send({ type: 'goldenList', names: ['big.json'], skipped: 0 });
    await p.page.click('.menu-item:has-text("big.json")');
    await waitPosted(p, 'loadGolden');
    await p.send({ type: 'goldenHit', name: 'big.json', error: 'big.json is 2000000 bytes; a golden hit is one record of at most 1048576 bytes.' });
    await until(p.page, () => /at most 1048576 bytes/.test(document.querySelector('.toast')?.textContent ?? ''));
    assert.equal(await p.page.isVisible('.diff-view'), false);
  });
});

describe('row context menu (webview)', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  it('right-click a row: follow its visitor, compare it with the selected hit, save it as golden', async () => {
    await p.snapshot({ hits: [hit(1, { pageName: 'First', customVisId: 'v-1' }), hit(2, { pageName: 'Second', customVisId: 'v-2', props: { prop1: 'p' } })] });
    await rows(p, 2);
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await p.page.click('.grid-spacer .row[data-seq="2"]', { button: 'right' });
    const items = await p.page.$$eval('.menu .menu-item', (els) => els.map((e) => e.textContent));
    assert.deepEqual(items, ['Follow by Custom visitor ID v-2', 'Compare with the selected hit', 'Save as golden hit…']);
    await p.page.click('.menu-item:has-text("Compare with the selected hit")');
    await until(p.page, () => !document.querySelector<HTMLElement>('.diff-view')!.hidden);
    assert.ok((await p.page.$$eval('.diff-row', (els) => els.map((e) => e.textContent))).some((t) => /^prop1added—p$/.test(t ?? '')));
    await p.page.keyboard.press('Escape');
    await p.page.click('.grid-spacer .row[data-seq="2"]', { button: 'right' });
    await p.page.click('.menu-item:has-text("Follow by")');
    assert.deepEqual(await waitPosted(p, 'follow'), { type: 'follow', id: 'v-2' });
    await p.page.click('.grid-spacer .row[data-seq="1"]', { button: 'right' });
    await p.page.click('.menu-item:has-text("Save as golden hit")');
    assert.deepEqual(await waitPosted(p, 'saveGolden'), { type: 'saveGolden', seq: 1 });
  });
});
