import { parseRecord } from '../../src/shared/losslessJson';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeHit, type DecodedGroup } from '../../src/analytics/decodeHit';
import { eventValue, formatRevenue } from '../../src/analytics/decimals';
import { flattenValues, formatPath, getPath, parsePath } from '../../src/analytics/paths';
import { hitType, summarize } from '../../src/analytics/summary';

const fixturePath = join(__dirname, '../fixtures/adobe-sample-hit.json');

// The production parser (tested on its own in losslessJson.test.ts).
const parseLossless = parseRecord;

const fixtureText = readFileSync(fixturePath, 'utf8');
const fixture = () => parseLossless(fixtureText);

function group(groups: DecodedGroup[], id: string): DecodedGroup {
  const g = groups.find((x) => x.id === id);
  assert.ok(g, `group ${id} missing; have ${groups.map((x) => x.id).join(',')}`);
  return g;
}

function fieldAt(groups: DecodedGroup[], path: string) {
  for (const g of groups) for (const f of g.fields) if (f.path === path) return { group: g.id, ...f };
  return undefined;
}

describe('decode', () => {
  it('the repo copy of the Adobe fixture is Adobe\'s published sample, byte for byte', () => {
    // sha256 of shared/fixtures/adobe-sample-hit.json (AdobeDocs example-output.md), pinned so an edit is caught.
    assert.equal(createHash('sha256').update(readFileSync(fixturePath)).digest('hex'), '8ac1b8d1c69b37d9df5f8b78f694c9d42b1acd0201d837c87d1c4685663485d6');
  });

  describe('eventValue', () => {
    it('computes count × 10^exponent exactly', () => {
      assert.equal(eventValue({ count: 1799, exponent: -2 }), '17.99');
      assert.equal(eventValue({ count: 1799, exponent: 2 }), '179900');
      assert.equal(eventValue({ count: 1, exponent: 0 }), '1');
      assert.equal(eventValue({ count: 3 }), '3');
      assert.equal(eventValue({ count: 5, exponent: -3 }), '0.005');
      assert.equal(eventValue({ count: 1000, exponent: -2 }), '10');
      assert.equal(eventValue({ count: -250, exponent: -2 }), '-2.5');
      assert.equal(eventValue({ count: '12345678901234567890', exponent: -2 }), '123456789012345678.9');
      assert.equal(eventValue({ count: '7', exponent: '-1' }), '0.7');
      assert.equal(eventValue({ count: 0, exponent: -2 }), '0');
    });
    it('returns "" for unusable input', () => {
      assert.equal(eventValue({}), '');
      assert.equal(eventValue({ count: 'abc' }), '');
      assert.equal(eventValue({ count: 1, exponent: 0.5 }), '');
      assert.equal(eventValue({ count: 1, exponent: 1e9 }), '');
      assert.equal(eventValue({ count: Infinity }), '');
      assert.equal(eventValue({ count: {} }), '');
      assert.equal(eventValue(null as unknown as { count?: unknown }), '');
    });
    it('agrees with exact integer arithmetic (property)', () => {
      fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: -40, max: 40 }), (count, exponent) => {
        const s = eventValue({ count: count.toString(), exponent });
        // Scale back up: s × 10^40 must equal count × 10^(exponent + 40).
        const [int, frac = ''] = s.replace('-', '').split('.');
        const scaled = BigInt(int! + frac.padEnd(40, '0')) * (s.startsWith('-') ? -1n : 1n);
        assert.equal(scaled, count * 10n ** BigInt(exponent + 40));
        assert.ok(!/e/i.test(s) && !/\.\d*0$/.test(s));
      }));
    });
  });

  describe('formatRevenue', () => {
    it('formats cents in the hit currency', () => {
      assert.equal(formatRevenue(1799, 'USD', 'en-US'), '$17.99');
      assert.equal(formatRevenue('179900', 'usd', 'en-US'), '$1,799.00');
      assert.equal(formatRevenue(5, 'EUR', 'en-US'), '€0.05');
    });
    it('falls back to number + code for a bad currency, and to the number without one', () => {
      assert.equal(formatRevenue(1799, 'DOLLARS', 'en-US'), '17.99 DOLLARS');
      assert.equal(formatRevenue(1799, '', 'en-US'), '17.99');
      assert.equal(formatRevenue(100, undefined), '1.00');
      assert.equal(formatRevenue('x', 'USD'), '');
      assert.equal(formatRevenue(undefined, 'USD'), '');
    });
    it('is exact for amounts beyond 2^53 cents', () => {
      assert.equal(formatRevenue('123456789012345678901', 'XYZ!', 'en-US'), '1234567890123456789.01 XYZ!');
    });
  });

  describe('hitType', () => {
    it('classifies commerce, link, page and other', () => {
      assert.equal(hitType(fixture()), 'commerce');
      assert.equal(hitType({ pageName: 'Home', events: { scAdd: [{ count: 1 }] } }), 'commerce');
      assert.equal(hitType({ pageName: 'Home', products: [] }), 'page');
      assert.equal(hitType({ pageName: 'Home', pageEventType: 'lnk_o' }), 'link');
      assert.equal(hitType({ pageName: 'Home', linkType: 'download' }), 'link');
      assert.equal(hitType({ pageEvent: 12 }), 'link');
      assert.equal(hitType({ pageEvent: '100' }), 'link');
      assert.equal(hitType({ pageURL: 'https://x.test/', pageEvent: 0 }), 'page');
      assert.equal(hitType({ linkName: 'Nav: About' }), 'link');
      assert.equal(hitType({}), 'other');
      assert.equal(hitType(null), 'other');
    });
  });

  describe('summarize', () => {
    it('summarizes the Adobe sample with exact ids', () => {
      const s = summarize(fixture());
      assert.deepEqual(s, {
        type: 'commerce',
        reportSuite: 'examplecomprod',
        pageName: 'Page #8552',
        urlShort: 'example.com/page8552.html',
        eventsShort: 'event1, event61=3',
        visitor: '1944017885723175213:2512895455560210216',
        hitTimeMs: 1372782179000,
        receivedTimeMs: 1372782179000,
      });
    });
    it('orders events (commerce first, eventN numerically) and shows values other than 1', () => {
      const s = summarize({ events: { event10: [{ count: 2 }], event2: [{ count: 1 }], purchase: [{ count: 1 }], event1: [{ count: 3, exponent: 0 }] } });
      assert.equal(s.eventsShort, 'purchase, event1=3, event2, event10=2');
    });
    it('falls back to customVisId, then mcVisId', () => {
      assert.equal(summarize({ customVisId: 'abc', mcVisIdHigh: '1', mcVisIdLow: '2' }).visitor, 'abc');
      assert.equal(summarize({ mcVisIdHigh: '11', mcVisIdLow: '22' }).visitor, '11:22');
    });
    it('strips query and userinfo from the short URL and caps hostile lengths', () => {
      assert.equal(summarize({ pageURL: 'https://u:p@Shop.Example.com:8443/a/b?q=1#x' }).urlShort, 'shop.example.com:8443/a/b');
      const s = summarize({ pageName: 'x'.repeat(100_000) });
      assert.ok(s.pageName.length <= 1000 && s.pageName.endsWith('…'));
    });
  });

  describe('decodeHit on the Adobe sample', () => {
    const groups = decodeHit(fixture(), { locale: 'en-US' });

    it('returns the groups in order', () => {
      assert.deepEqual(groups.map((g) => g.id),
        ['page', 'evars', 'events', 'products', 'listvars', 'visitor', 'time', 'geo', 'device', 'target', 'other']);
    });
    it('keeps ids exact', () => {
      assert.equal(fieldAt(groups, 'visIdHigh')?.value, '1944017885723175213');
      assert.equal(fieldAt(groups, 'visIdLow')?.value, '2512895455560210216');
      assert.equal(fieldAt(groups, 'hitIdLow')?.value, '4948646782672799561');
      assert.equal(fieldAt(groups, 'hitIdHigh')?.value, '2948027281753079808');
      assert.match(fieldAt(groups, 'visIdType')!.value, /^3 \(legacy cookie s_vi\)$/);
    });
    it('decodes eVars and events', () => {
      const ev = group(groups, 'evars').fields;
      assert.deepEqual(ev.map((f) => [f.label, f.value, f.path]), [
        ['Campaign (tracking code)', 'DFA:172612:21725632:182361', 'evars.evars.campaign'],
        ['eVar1', 'Summer Shoe Promo', 'evars.evars.evar1'],
      ]);
      assert.deepEqual(group(groups, 'events').fields.map((f) => [f.label, f.value, f.path]), [['event1', '1', 'events.event1']]);
    });
    it('decodes products as a table with revenue in the hit currency and product events', () => {
      const p = group(groups, 'products');
      assert.deepEqual(p.table, {
        columns: ['Category', 'Name', 'Units', 'Revenue', 'eVars', 'Events'],
        rows: [['Clothing', 'Mens Black Running Shoes', '15', '$17.99', '', 'event61=3']],
      });
      assert.equal(fieldAt(groups, 'currency')?.group, 'products');
    });
    it('splits the hierarchy on its delimiter (58 = ":") and keeps the soft-hyphen key', () => {
      const f = group(groups, 'page').fields.find((x) => x.label.startsWith('Hierarchy'))!;
      assert.equal(f.label, 'Hierarchy site-\u00adhier');
      assert.equal(f.value, 'home page › clothing › mens › shoes');
      assert.equal(f.path, 'hierarchies["site-\\u00adhier"].values');
      assert.equal(getPath(fixture(), f.path), 'home page:clothing:mens:shoes');
      assert.equal(fieldAt(groups, 'languageAbbrev')?.value, 'en-\u00adUS');
    });
    it('shows list variables', () => {
      const f = group(groups, 'listvars').fields;
      assert.deepEqual(f.map((x) => [x.label, x.value, x.path]), [[
        'List Var 1 (3 items)', 'event_category:summer sale · event_type:click · source_platform:iOS', 'mvvars.1.m.values']]);
    });
    it('shows times as ISO with the lag', () => {
      assert.equal(fieldAt(groups, 'timeGMT')?.value, '2013-07-02T16:22:59Z (1372782179)');
      assert.equal(fieldAt(groups, 'receivedTimeGMT')?.value, '2013-07-02T16:22:59Z (1372782179) · 0 s after the hit');
    });
    it('decodes Target / A4T entries', () => {
      assert.equal(fieldAt(groups, 'tntAction.0.actionName')?.value, 'Experience Visit');
      assert.equal(fieldAt(groups, 'tnt.0.campaignId')?.group, 'target');
    });
    it('puts everything else in Other, and shows every leaf value exactly once', () => {
      const other = group(groups, 'other').fields.map((f) => f.path);
      assert.deepEqual(other, ['bot', 'exclude.id', 'exclude.value', 'exclude.description', 'hitIdHigh', 'hitIdLow', 'hitSource',
        'searchEngine', 'service', 'transactionId', 'truncated']);
      // Every path shown resolves to a value in the record, and no path appears twice.
      const paths = groups.flatMap((g) => g.fields.map((f) => f.path)).filter(Boolean);
      assert.equal(new Set(paths).size, paths.length);
      for (const p of paths) assert.notEqual(getPath(fixture(), p), undefined, p);
    });
  });

  describe('decodeHit on odd input', () => {
    it('shows unknown fields in Other with their paths', () => {
      const groups = decodeHit({ pageName: 'x', futureField: { nested: [1, { deep: 'y' }] }, evars: { evars: { evar3: 'a', weird: 'w' }, extra: 1 } });
      const other = group(groups, 'other').fields.map((f) => [f.path, f.value]);
      assert.deepEqual(other, [['futureField.nested.0', '1'], ['futureField.nested.1.deep', 'y'], ['evars.evars.weird', 'w'], ['evars.extra', '1']]);
    });
    it('sorts eVars and props numerically', () => {
      const groups = decodeHit({ evars: { evars: { evar10: 'c', evar2: 'b', evar1: 'a' } }, props: { prop75: 'z', prop3: 'y', site_section: 's' } });
      assert.deepEqual(group(groups, 'evars').fields.map((f) => f.label), ['eVar1', 'eVar2', 'eVar10']);
      assert.deepEqual(group(groups, 'props').fields.map((f) => f.label), ['Site section', 'prop3', 'prop75']);
    });
    it('splits string list values by their delimiter', () => {
      const f = group(decodeHit({ mvvars: { 2: { m: { values: 'a,b,c', delim: 44 } } } }), 'listvars').fields[0]!;
      assert.equal(f.value, 'a · b · c');
      assert.equal(f.label, 'List Var 2 (3 items)');
    });
    it('labels named events and sums multi-entry events exactly', () => {
      const g = group(decodeHit({ events: { purchase: [{ count: 1 }], event5: [{ count: 1799, exponent: -2 }, { count: 1, exponent: -2 }], scAdd: [{ count: 2 }] } }), 'events');
      assert.deepEqual(g.fields.map((f) => [f.label, f.value]), [['Purchase', '1'], ['Cart Add', '2'], ['event5', '18 (sum of 2 entries)']]);
    });
    it('does not read through the prototype chain or mutate the input', () => {
      const data = JSON.parse('{"__proto__": {"pageName": "evil"}, "constructor": "c", "evars": {"evars": {"__proto__": "p"}}}') as Record<string, unknown>;
      const before = JSON.stringify(data);
      const groups = decodeHit(data);
      assert.equal(JSON.stringify(data), before);
      assert.equal(groups.find((g) => g.id === 'page'), undefined);
      const other = group(groups, 'other').fields.map((f) => [f.path, f.value]);
      assert.deepEqual(other, [['__proto__.pageName', 'evil'], ['constructor', 'c'], ['evars.evars.__proto__', 'p']]);
      assert.equal(getPath(data, '__proto__.pageName'), 'evil');
      assert.equal(getPath({}, 'constructor'), undefined);
      assert.equal(getPath({}, '__proto__'), undefined);
    });
    it('bounds depth and field count of Other', () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 10_000; i++) deep = { a: deep };
      const many: Record<string, number> = {};
      for (let i = 0; i < 5000; i++) many[`k${i}`] = i;
      const groups = decodeHit({ deep, many });
      const other = group(groups, 'other').fields;
      assert.equal(other.length, 2001);
      assert.equal(other[0]!.path, 'deep.a.a.a.a.a.a.a');
      assert.match(other[0]!.value, /^\{… 1 keys\}$/);
      assert.deepEqual(other[2000], { label: '…', value: '… 3001 more', path: '' });
    });
    it('marks long values', () => {
      const f = group(decodeHit({ pageName: 'p'.repeat(500) }), 'page').fields[0]!;
      assert.equal(f.long, true);
      assert.equal(f.value.length, 500);
    });
    it('never throws on arbitrary JSON-like input (property)', () => {
      fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        decodeHit(v);
        summarize(v);
        hitType(v);
        flattenValues(v);
      }), { numRuns: 300 });
    });
    it('shows every scalar of arbitrary records somewhere (property)', () => {
      fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })), (rec) => {
        const groups = decodeHit(rec);
        const shown = new Set(groups.flatMap((g) => g.fields.map((f) => f.path)));
        // Every path from the decoder resolves, so copy-path and the filter can use it.
        for (const p of shown) if (p) assert.notEqual(getPath(rec, p), undefined, p);
        // Other shows leaf values verbatim.
        for (const f of groups.find((g) => g.id === 'other')?.fields ?? []) {
          const v = getPath(rec, f.path);
          if (typeof v === 'string') assert.equal(f.value, v);
        }
        const leaves = flattenValues(rec).length;
        const fieldCount = groups.reduce((n, g) => n + g.fields.length + (g.table?.rows.length ?? 0) * 6, 0);
        assert.ok(leaves === 0 || fieldCount > 0);
      }), { numRuns: 200 });
    });
  });

  describe('paths', () => {
    it('formats and parses paths round-trip (property)', () => {
      fc.assert(fc.property(fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 5 }), (segs) => {
        assert.deepEqual(parsePath(formatPath(segs)), segs);
      }));
    });
    it('rejects malformed paths', () => {
      for (const p of ['', '.a', 'a.', 'a..b', 'a[', 'a["x', 'a[x]', 'a]']) assert.equal(parsePath(p), undefined, p);
      assert.deepEqual(parsePath('a[0]["b c"].d'), ['a', '0', 'b c', 'd']);
    });
    it('getPath walks objects case-insensitively and arrays by index', () => {
      const d = fixture();
      assert.equal(getPath(d, 'products.0.name'), 'Mens Black Running Shoes');
      assert.equal(getPath(d, 'EVARS.evars.EVAR1'), 'Summer Shoe Promo');
      assert.equal(getPath(d, 'mvvars.1.m.delim'), 44);
      assert.equal(getPath(d, 'products.x'), undefined);
    });
    it('flattenValues lists values, not keys, with exact ids', () => {
      const v = flattenValues(fixture());
      assert.ok(v.includes('4948646782672799561'));
      assert.ok(v.includes('Summer Shoe Promo'));
      assert.ok(!v.includes('pageName'));
    });
  });
});
