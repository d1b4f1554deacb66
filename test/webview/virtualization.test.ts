import assert from 'node:assert/strict';
import { eventuallyEqual, openPanel, startHarness, until, visibleRows, type Harness, type Panel } from './support/harness';

describe('virtualized table with 100 000 rows', function () {
  let h: Harness;
  let p: Panel;
  before(async () => {
    h = await startHarness();
    p = await openPanel(h);
    await p.generate('snapshot', 100_000, 1);
    await until(p.page, () => document.querySelector('.grid')?.getAttribute('aria-rowcount') === '100001', undefined, 30_000);
  });
  after(async () => { await h?.close(); });

  it('keeps only about the visible rows in the DOM', async () => {
    await p.frames();
    const n = await p.page.evaluate(() => document.querySelectorAll('[role=row]').length);
    assert.ok(n > 20 && n < 200, `row elements: ${n}`);
    assert.match((await visibleRows(p.page))[0]![4]!, /#100000$/, 'newest first');
  });

  it('scrolling to the bottom shows the oldest hit, still with few rows', async () => {
    await p.page.focus('.grid');
    await p.page.keyboard.press('End');
    await until(p.page, () => document.querySelector('.grid-spacer .row.selected .c-page')?.textContent?.endsWith('#1'));
    await p.frames();
    const rows = await visibleRows(p.page);
    assert.match(rows[rows.length - 1]![4]!, /#1$/);
    const n = await p.page.evaluate(() => document.querySelectorAll('[role=row]').length);
    assert.ok(n < 200, `row elements: ${n}`);
  });

  it('a filter over 100 000 rows narrows the table', async () => {
    await p.page.fill('.filter-input', 'pageName:"#99999"');
    await p.page.press('.filter-input', 'Enter');
    // aria-rowcount changes at once, the rows on the next frame: wait for the rows themselves.
    await until(p.page, () => document.querySelector('.grid')?.getAttribute('aria-rowcount') === '2');
    await eventuallyEqual(async () => (await visibleRows(p.page)).map((r) => /#99999$/.test(r[4]!)), [true]);
  });
});
