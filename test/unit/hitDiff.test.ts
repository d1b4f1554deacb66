import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { diffHits, sameTracking, VOLATILE_GROUP, type HitDiff } from '../../src/analytics/hitDiff';
import { parseRecord } from '../../src/shared/losslessJson';

const fixture = () => parseRecord(readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8'));

/** The changes of one group as `kind label: before → after` lines. */
function lines(d: HitDiff, id: string): string[] {
  const g = d.groups.find((x) => x.id === id);
  assert.ok(g, `group ${id} missing; have ${d.groups.map((x) => x.id).join(',')}`);
  return g.changes.map((c) => `${c.kind} ${c.label}: ${c.before ?? '∅'} → ${c.after ?? '∅'}`);
}

describe('hit diff (Compare two hits)', () => {
  it('identical hits: nothing added, removed or changed; every field counted as the same', () => {
    const d = diffHits(fixture(), fixture());
    assert.equal(d.added + d.removed + d.changed, 0);
    assert.ok(d.same > 40, `same ${d.same}`);
    assert.ok(d.groups.every((g) => g.changes.length === 0));
    assert.equal(sameTracking(d), true);
  });

  it('groups eVars, props and the rest as the detail pane does, with both values', () => {
    const a = fixture();
    const b = fixture();
    (b.evars as { evars: Record<string, unknown> }).evars.evar1 = 'Winter Boot Promo';
    (b.evars as { evars: Record<string, unknown> }).evars.evar5 = 'new';
    delete (b.evars as { evars: Record<string, unknown> }).evars.campaign;
    b.props = { prop3: 'search' };
    b.pageName = 'Checkout';
    const d = diffHits(a, b);
    assert.deepEqual(lines(d, 'evars'), [
      'removed Campaign (tracking code): DFA:172612:21725632:182361 → ∅',
      'changed eVar1: Summer Shoe Promo → Winter Boot Promo',
      'added eVar5: ∅ → new',
    ]);
    assert.deepEqual(lines(d, 'props'), ['added prop3: ∅ → search']);
    assert.deepEqual(lines(d, 'page'), ['changed Page name: Page #8552 → Checkout']);
    assert.equal(d.added, 2);
    assert.equal(d.removed, 1);
    assert.equal(d.changed, 2);
    assert.equal(sameTracking(d), false);
    const order = d.groups.map((g) => g.id);
    assert.ok(order.indexOf('page') < order.indexOf('evars') && order.indexOf('evars') < order.indexOf('props'), order.join());
  });

  it('events compare by value (count × 10^exponent), so a changed count or a new event shows', () => {
    const a = { events: { event1: [{ count: 1, exponent: 0, unique: '' }], purchase: [{ count: 1, exponent: 0, unique: '' }] } };
    const b = { events: { event1: [{ count: 1999, exponent: -2, unique: '' }], event7: [{ count: 2, exponent: 0, unique: '' }] } };
    // In the detail pane's order: commerce events first.
    assert.deepEqual(lines(diffHits(a, b), 'events'), [
      'removed Purchase: 1 → ∅',
      'changed event1: 1 → 19.99',
      'added event7: ∅ → 2',
    ]);
  });

  it('products are matched by category and name, so a product added in front is one addition, not a cascade', () => {
    const shoe = { category: 'Clothing', name: 'Shoe', units: 1, revenue: 1799 };
    const hat = { category: 'Clothing', name: 'Hat', units: 2, revenue: 500 };
    const a = { currency: 'USD', products: [shoe] };
    const b = { currency: 'USD', products: [hat, { ...shoe, units: 3 }] };
    const got = lines(diffHits(a, b), 'products');
    assert.deepEqual(got.filter((l) => l.startsWith('changed')), ['changed Product Shoe · Units: 1 → 3']);
    assert.ok(got.includes('added Product Hat: ∅ → Clothing;Hat'), got.join('\n'));
    assert.ok(got.includes('added Product Hat · Revenue: ∅ → $5.00'), got.join('\n'));
    assert.equal(got.filter((l) => l.startsWith('removed')).length, 0, got.join('\n'));
  });

  it('a products string (the s.products form some records carry) is one field, diffed as text', () => {
    const d = diffHits({ products: 'Clothing;Shoe;1;17.99' }, { products: 'Clothing;Shoe;2;35.98' });
    assert.deepEqual(lines(d, 'other'), ['changed products: Clothing;Shoe;1;17.99 → Clothing;Shoe;2;35.98']);
  });

  it('puts hit ids and times in their own group at the end, so two real hits still read as "same tracking"', () => {
    const a = fixture();
    const b = { ...fixture(), hitIdLow: '1', timeGMT: 1372782200, receivedTimeGMT: 1372782260 };
    const d = diffHits(a, b);
    assert.equal(d.groups.at(-1)!.id, VOLATILE_GROUP.id);
    assert.deepEqual(lines(d, 'other'), [], 'hit ids are volatile too');
    assert.ok(lines(d, VOLATILE_GROUP.id).some((l) => l.startsWith('changed Hit time')), lines(d, VOLATILE_GROUP.id).join('\n'));
    assert.equal(sameTracking(d), true);
  });

  it('keeps hostile values as plain text and never throws on odd records', () => {
    const evil = '<img src=x onerror=alert(1)>\u202e';
    const d = diffHits({ pageName: 'a', __proto__: { polluted: 1 }, ['constructor']: evil }, { pageName: evil, props: [1, 2] });
    const page = lines(d, 'page');
    assert.deepEqual(page, [`changed Page name: a → ${evil}`]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    for (const odd of [null, undefined, 42, 'x', [], { events: 'x' }, { products: [null, 1, { name: {} }] }, { evars: { evars: { evar1: { deep: 1 } } } }]) {
      assert.doesNotThrow(() => diffHits(odd, fixture()));
      assert.doesNotThrow(() => diffHits(fixture(), odd));
    }
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (x, y) => {
      const r = diffHits(x, y);
      return r.added + r.removed + r.changed + r.same >= 0 && diffHits(x, x).changed === 0;
    }), { numRuns: 200 });
  });

  it('stays bounded on a record with 100 000 eVars (the decoder caps each group at 2 000 fields)', () => {
    const evars: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) evars[`evar${i}`] = String(i);
    const d = diffHits({ evars: { evars } }, {});
    // 2 000 in eVars (numbers beyond 9 digits are not eVars), 2 000 more in Other.
    assert.ok(d.removed <= 4000, String(d.removed));
    assert.equal(d.groups.find((g) => g.id === 'evars')!.changes.length, 2000);
  });
});
