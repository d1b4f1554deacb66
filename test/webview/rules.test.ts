import assert from 'node:assert/strict';
import { eventuallyEqual, type Panel, until, usePanelPerTest, visibleRows } from './support/harness';
import { hit } from './support/fixtures';

/** Column order: time, lag, type, suite, page, url, events, visitor, rules. */
const PAGE = 4;
const RULES = 8;

const hostile = '<img src=x onerror=alert(1)>\u202e';

/** Three hits as the host sends them: one failing two rules (one value hostile), one passing, one without results. */
function ruleHits() {
  const failing = hit(1, { pageName: 'checkout:shipping', props: { prop3: 'jane@example.com' } });
  const passing = hit(2, { pageName: 'checkout:payment', evars: { evars: { evar5: 'x' } } });
  const none = hit(3, { pageName: 'home' });
  return [
    { ...failing, rules: {
      failed: [
        { rule: 'personal-data', kind: 'email', severity: 'error', field: 'prop3', value: 'jane@example.com', message: 'E-mail address: prop3' },
        { rule: 'checkout-evar5', kind: 'expect', severity: 'warning', field: 'evar5', value: hostile, message: 'Checkout pages set eVar5 (failed: has:evar5)' },
      ],
      passed: ['evar-length'], waiting: [],
    } },
    { ...passing, rules: { failed: [], passed: ['personal-data', 'checkout-evar5'], waiting: [] } },
    none,
  ];
}

async function pageNames(p: Panel): Promise<string[]> {
  return (await visibleRows(p.page)).map((r) => r[PAGE]!);
}

describe('hits webview: tracking rules (issue 13)', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  beforeEach(async () => {
    await p.snapshot({ hits: ruleHits() });
    await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 3);
  });

  it('the Rules column shows failures (worst severity), passes and nothing for hits without results', async () => {
    const rows = await visibleRows(p.page);
    assert.deepEqual(rows.map((r) => [r[PAGE], r[RULES]]), [['home', ''], ['checkout:payment', '✓ 2'], ['checkout:shipping', '✗ 2']]);
    const cell = await p.page.evaluate(() => {
      const c = document.querySelector<HTMLElement>('.grid-spacer .row[data-seq="1"] .c-rules')!;
      return { cls: c.className, title: c.title };
    });
    assert.match(cell.cls, /rules-error/);
    assert.match(cell.title, /personal-data: e-mail address · prop3 = jane@example\.com/);
    assert.match(cell.title, /checkout-evar5: failed · evar5 = <img src=x onerror=alert\(1\)>⟨U\+202E⟩/);
    assert.equal(await p.page.evaluate(() => document.querySelectorAll('img').length), 0);
  });

  it('the Violations chip filters to hits failing any rule; rule:<id>/<kind> to one rule', async () => {
    await p.page.click('.chip:has-text("Violations")');
    assert.equal(await p.page.inputValue('.filter-input'), 'is:violation');
    assert.equal(await p.page.getAttribute('.chip:has-text("Violations")', 'aria-pressed'), 'true');
    await eventuallyEqual(() => pageNames(p), ['checkout:shipping']);
    await p.page.click('.chip:has-text("Violations")');
    await eventuallyEqual(() => pageNames(p), ['home', 'checkout:payment', 'checkout:shipping']);
    await p.page.fill('.filter-input', 'rule:checkout-evar5/email');
    await p.page.press('.filter-input', 'Enter');
    await eventuallyEqual(() => pageNames(p), []);
    await p.page.fill('.filter-input', '-is:violation');
    await p.page.press('.filter-input', 'Enter');
    await eventuallyEqual(() => pageNames(p), ['home', 'checkout:payment']);
    // Hits arriving later are filtered by their own results too.
    await p.page.fill('.filter-input', 'is:violation');
    await p.page.press('.filter-input', 'Enter');
    await p.hits([{ ...hit(4, { pageName: 'late' }), rules: { failed: [{ rule: 'event-values', kind: 'zero', severity: 'warning', field: 'event7', value: '0', message: 'm' }], passed: [], waiting: [] } }]);
    await eventuallyEqual(() => pageNames(p), ['late', 'checkout:shipping']);
  });

  it('the detail pane lists failed rules with the exact field and value (inert), then passed ones', async () => {
    await p.page.click('.grid-spacer .row[data-seq="1"]');
    await until(p.page, () => document.querySelector('.rules-group'));
    const detail = await p.page.evaluate(() => [...document.querySelectorAll('.rules-group .rule-item')].map((li) => ({
      cls: li.className, rule: li.getAttribute('data-rule'), why: li.querySelector('.rule-why')?.textContent ?? null, kind: li.querySelector('.rule-kind')?.textContent ?? null,
    })));
    assert.deepEqual(detail, [
      { cls: 'rule-item rule-failed rules-error', rule: 'personal-data', why: 'prop3 = jane@example.com', kind: 'E-mail address' },
      { cls: 'rule-item rule-failed rules-warning', rule: 'checkout-evar5', why: 'evar5 = <img src=x onerror=alert(1)>⟨U+202E⟩', kind: 'Expectation failed' },
      { cls: 'rule-item rule-passed', rule: 'evar-length', why: null, kind: null },
    ]);
    assert.equal(await p.page.evaluate(() => document.querySelector('.rules-group summary')?.textContent), 'Tracking rules 2 failed · 1 passed');
    assert.equal(await p.page.evaluate(() => document.querySelectorAll('img').length), 0);
    // A hit without results has no rules group.
    await p.page.click('.grid-spacer .row[data-seq="3"]');
    await until(p.page, () => !document.querySelector('.rules-group') && document.querySelector('.detail-title')?.textContent?.includes('home'));
  });

  it('setFilter from the host ("Show matching hits") replaces the filter; an invalid one is refused and logged', async () => {
    await p.send({ type: 'setFilter', filter: 'rule:personal-data/email' });
    await eventuallyEqual(() => p.page.inputValue('.filter-input'), 'rule:personal-data/email');
    await eventuallyEqual(() => pageNames(p), ['checkout:shipping']);
    await p.send({ type: 'setFilter', filter: 'x'.repeat(20_000) });
    await p.send({ type: 'setFilter', filter: 'is:page', extra: 1 });
    await until(p.page, () => (window as unknown as { __vscodeStandIn: { posted: { type: string; message?: string }[] } }).__vscodeStandIn.posted
      .filter((m) => m.type === 'log' && m.message?.includes('setFilter')).length === 2);
    assert.equal(await p.page.inputValue('.filter-input'), 'rule:personal-data/email');
  });
});
