import assert from 'node:assert/strict';
import { HitStore } from '../../src/session/hitStore';
import type { StoredHit } from '../../src/shared/model';
import { wireHit } from '../../src/shared/protocol';
import { eventuallyEqual, type Panel, until, usePanelPerTest, visibleRows } from './support/harness';
import { hit } from './support/fixtures';

/** Column order of the default layout: time, lag, type, suite, page, url, events, visitor. */
const PAGE = 4;

/**
 * A hit too deep to serialize, as the host sends it: checked by the real hit
 * store, converted by the real `wireHit`. Its id carries markup and a bidi
 * override (an attacker chooses ids too; 64 characters at most).
 */
function placeholderHit(seq: number): ReturnType<typeof wireHit> {
  const key = `<img src=x onerror=alert(1)>\u202e:${seq}`;
  let deep: unknown[] = [];
  const top = deep;
  for (let i = 0; i < 200_000; i++) { const next: unknown[] = []; deep.push(next); deep = next; }
  const stored: StoredHit = { seq, key, receivedAt: Date.now(), data: { timeGMT: Math.floor(Date.now() / 1000) - 30, pageName: 'deep', x: top }, raw: 'x'.repeat(409_600) };
  const r = new HitStore(10).push(stored);
  assert.ok(r.kept && r.omitted, 'the store marks it');
  return wireHit(stored);
}

describe('placeholder rows for hits too deep or too large to display', function () {
  let p: Panel;
  usePanelPerTest((panel) => { p = panel; });

  it('shows time, id and size as inert text between normal rows; the detail pane explains; copy asks the host for the exact text', async () => {
    await p.snapshot({ hits: [hit(1, { pageName: 'before' }), placeholderHit(2), hit(3, { pageName: 'after' })] });
    await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 3);
    const rows = await visibleRows(p.page);
    assert.deepEqual(rows.map((r) => r[PAGE]), ['after', '⚠ record too deep to display · 400.0 KiB · id <img src=x onerror=alert(1)>⟨U+202E⟩:2', 'before']);
    assert.match(rows[1]![0]!, /^\d\d:\d\d:\d\d$/, 'the hit time is shown');
    const info = await p.page.evaluate(() => {
      const row = document.querySelector<HTMLElement>('.grid-spacer .row[data-seq="2"]')!;
      return { cls: row.className, imgs: document.querySelectorAll('img').length, title: row.children[4]!.getAttribute('title') };
    });
    assert.match(info.cls, /\bplaceholder\b/);
    assert.equal(info.imgs, 0, 'the id is text, not markup');
    assert.match(info.title!, /Copy hit as JSON and Export keep its exact text/);

    await p.page.click('.grid-spacer .row[data-seq="2"]');
    await until(p.page, () => document.querySelector('.detail-body .placeholder-note'));
    const note = (await p.page.textContent('.detail-body'))!;
    assert.match(note, /This record \(400\.0 KiB, id <img src=x onerror=alert\(1\)>⟨U\+202E⟩:2\) is nested deeper than 64 levels, so it is not displayed/);
    await p.page.click('#tab-raw');
    assert.ok((await p.page.textContent('.detail-body'))!.includes('not displayed'), 'the raw tab shows the note too');
    await p.page.click('.copy-hit');
    await eventuallyEqual(async () => (await p.posted()).filter((m) => m.type === 'copyHit'), [{ type: 'copyHit', seq: 2 }]);
  });

  it('drops rows older than the oldest hit the host still keeps (its byte budget)', async () => {
    await p.snapshot({ hits: [1, 2, 3, 4, 5].map((i) => hit(i, { pageName: `p${i}` })) });
    await until(p.page, () => document.querySelectorAll('.grid-spacer .row:not([hidden])').length === 5);
    await p.send({ type: 'hits', hits: [hit(6, { pageName: 'p6' })], now: Date.now(), oldestSeq: 4 });
    await eventuallyEqual(async () => (await visibleRows(p.page)).map((r) => r[PAGE]), ['p6', 'p5', 'p4']);
  });
});
