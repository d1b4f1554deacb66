import { parseRecord } from '../../src/core/losslessJson';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { compileFilter, type CompiledFilter, type FilterError } from '../../src/core/filter';

// The production parser (tested on its own in losslessJson.test.ts).
const parseLossless = parseRecord;

const sample = parseLossless(readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8'));

const pageHit: Record<string, unknown> = {
  pageName: 'Home', pageURL: 'https://www.shop.test/index.html?x=1', reportSuite: 'devsuite',
  visIdHigh: '100', visIdLow: '200', evars: { evars: { evar5: 'Winter' } }, props: { prop3: 'Search' },
  events: { event12: [{ count: 1799, exponent: -2, unique: '' }] },
};
const linkHit: Record<string, unknown> = { pageName: 'Home', pageEventType: 'lnk_e', linkURL: 'https://out.test/', reportSuite: 'devsuite' };

function compile(text: string, myTraffic?: string[]): CompiledFilter {
  const r = compileFilter(text, myTraffic ? { myTraffic } : undefined);
  if (!r.ok) assert.fail(`${text}: ${r.error.message}`);
  return r.filter;
}

function matches(text: string, data: Record<string, unknown>, myTraffic?: string[]): boolean {
  return compile(text, myTraffic).test(data);
}

function error(text: string, myTraffic?: string[]): FilterError {
  const r = compileFilter(text, myTraffic ? { myTraffic } : undefined);
  assert.ok(!r.ok, `expected an error for ${text}`);
  return r.error;
}

/** Asserts `text` matches `yes` and not `no`, and that `-text` does the opposite. */
function check(text: string, yes: Record<string, unknown>, no: Record<string, unknown>): void {
  assert.equal(matches(text, yes), true, `${text} should match`);
  assert.equal(matches(text, no), false, `${text} should not match`);
  assert.equal(matches(`-${text}`, yes), false, `-${text} should not match`);
  assert.equal(matches(`-${text}`, no), true, `-${text} should match`);
}

describe('filter', () => {
  it('an empty or blank filter matches everything', () => {
    for (const t of ['', '   ', '\t\n']) {
      const f = compile(t);
      assert.equal(f.isEmpty, true);
      assert.equal(f.source, t);
      assert.equal(f.test({}), true);
    }
    assert.equal(compile('x').isEmpty, false);
  });

  describe('free text', () => {
    it('matches any value case-insensitively, not keys', () => {
      check('summer', sample, pageHit);
      check('PARIS', sample, pageHit);
      assert.equal(matches('geoCity', sample), false); // a key, not a value
    });
    it('matches numbers and exact ids as text', () => {
      check('4948646782672799561', sample, pageHit);
      check('1799', sample, linkHit);
    });
    it('takes quoted text with spaces and operator characters', () => {
      check('"summer shoe promo"', sample, pageHit);
      check('"DFA:172612"', sample, pageHit);
      check('"https://www.shop.test"', pageHit, sample);
      assert.equal(matches('"shoe  promo"', sample), false);
    });
    it('does not match across two values', () => {
      assert.equal(matches('"paris75001"', sample), false);
    });
  });

  describe('field:value (contains, ignoring case)', () => {
    it('matches top-level fields by name in any case', () => {
      check('pageName:page', sample, pageHit);
      check('PAGENAME:#85', sample, pageHit);
      check('reportSuite:PROD', sample, pageHit);
      check('geoCity:par', sample, pageHit);
    });
    it('matches quoted values', () => {
      check('evar1:"summer shoe"', sample, pageHit);
      check('pageName:"page #8552"', sample, pageHit);
    });
    it('maps eVarN / campaign to evars.evars and propN to props', () => {
      check('eVar5:wint', pageHit, sample);
      check('evar1:promo', sample, pageHit);
      check('campaign:dfa', sample, pageHit);
      check('prop3:sea', pageHit, sample);
    });
    it('reaches unknown top-level fields and dotted paths', () => {
      const future = { brandNewField: 'Hello', nested: { deeper: ['x', 'Needle'] } };
      check('brandnewfield:hell', future, sample);
      check('nested.deeper:needle', future, sample);
      check('evars.evars.evar1:summer', sample, pageHit);
      check('mvvars.1.m.values:click', sample, pageHit);
      check('hierarchies["site-\\u00adhier"].values:mens', sample, pageHit);
      check('exclude.value:no', sample, pageHit);
    });
    it('searches through arrays: products.name matches any product', () => {
      const two = { products: [{ name: 'Hat' }, { name: 'Running Shoes' }] };
      check('products.name:running', two, { products: [{ name: 'Hat' }] });
      check('products.category:cloth', sample, two);
      check('products.units=15', sample, two);
      check('tnt.campaignId=13234', sample, pageHit);
      assert.equal(matches('products.1.name:running', two), true);
      assert.equal(matches('products.0.name:running', two), false);
    });
    it('compares product revenue as cents and as an amount', () => {
      check('products.revenue=1799', sample, { products: [{ revenue: 100 }] });
      check('products.revenue=17.99', sample, { products: [{ revenue: 100 }] });
    });
  });

  describe('field=value (exact)', () => {
    it('is case-sensitive and whole-value', () => {
      check('pageName="Page #8552"', sample, pageHit);
      assert.equal(matches('pageName="page #8552"', sample), false);
      assert.equal(matches('pageName=Page', sample), false);
      check('reportSuite=devsuite', pageHit, sample);
    });
    it('compares ids on their exact digits', () => {
      check('hitIdLow=4948646782672799561', sample, pageHit);
      assert.equal(matches('hitIdLow=4948646782672800000', sample), false); // what JSON.parse would have made of it
      check('visIdLow=2512895455560210216', sample, pageHit);
    });
    it('matches an explicitly empty value', () => {
      check('transactionId=""', sample, pageHit);
    });
  });

  describe('events', () => {
    it('compares eventN as count × 10^exponent', () => {
      check('event12=17.99', pageHit, sample);
      check('event12:17.9', pageHit, sample);
      check('event1=1', sample, pageHit);
      assert.equal(matches('event12=1799', pageHit), false);
    });
    it('includes product-level events', () => {
      check('event61=3', sample, pageHit);
      check('has:event61', sample, pageHit);
    });
    it('has:eventN is true when the event is present at all', () => {
      check('has:event12', pageHit, sample);
      check('has:event1', sample, pageHit);
      assert.equal(matches('has:event7', { events: { event7: [{ count: 'junk' }] } }), true);
    });
    it('knows named commerce events in any case', () => {
      const buy = { events: { purchase: [{ count: 1 }], scAdd: [{ count: 2 }] } };
      check('has:purchase', buy, sample);
      check('scadd=2', buy, sample);
      check('has:SCADD', buy, sample);
    });
  });

  describe('field~/regex/', () => {
    it('tests a JavaScript regex, with flags', () => {
      check('pageName~/^Page #\\d+$/', sample, pageHit);
      check('pageName~/^page/i', sample, pageHit);
      assert.equal(matches('pageName~/^page/', sample), false);
      check('pageURL~/^https:/', pageHit, sample);
    });
    it('allows spaces and slashes inside the pattern', () => {
      check('evar1~/summer shoe/i', sample, pageHit);
      check('pageURL~/example\\.com\\/page/', sample, pageHit);
      check('pageURL~/[/]page8552/', sample, pageHit);
    });
    it('ignores g and y, which would make matching stateful', () => {
      const f = compile('pageName~/page/gi');
      for (let i = 0; i < 4; i++) assert.equal(f.test(sample), true);
    });
    it('never matches values over 64 KiB', () => {
      const big = { pageName: 'a'.repeat(70 * 1024) };
      assert.equal(matches('pageName~/a/', big), false);
      assert.equal(matches('pageName~/a/', { pageName: 'a'.repeat(1024) }), true);
    });
  });

  describe('has:', () => {
    it('is true for present, non-empty fields', () => {
      check('has:evar1', sample, pageHit);
      check('has:pageName', sample, { pageName: '' });
      check('has:geoDMA', sample, { geoDMA: null });
      check('has:products', sample, { products: [] });
      check('has:products.name', sample, { products: [{ category: 'x' }] });
      check('has:javaEnabled', sample, {});
    });
  });

  describe('type and is:', () => {
    it('type compares the hit type', () => {
      check('type:commerce', sample, pageHit);
      check('type=page', pageHit, linkHit);
      check('type:link', linkHit, pageHit);
      check('is:link', linkHit, pageHit);
      check('is:commerce', sample, linkHit);
    });
    it('is:mine matches the visitor ids and page hosts of liveStream.myTraffic', () => {
      const mine = (t: string[]) => compile('is:mine', t);
      assert.equal(mine(['1944017885723175213:2512895455560210216']).test(sample), true);
      assert.equal(mine(['2512895455560210216']).test(sample), true);
      assert.equal(mine(['420520']).test(sample), true); // customVisId
      assert.equal(mine(['example.com']).test(sample), true);
      assert.equal(mine(['EXAMPLE.COM']).test(sample), true);
      assert.equal(mine(['https://example.com/some/page']).test(sample), true);
      assert.equal(mine(['www.shop.test']).test(sample), false);
      assert.equal(mine(['www.shop.test']).test(pageHit), true);
      assert.equal(mine(['2512895455560210217', 'other.test']).test(sample), false);
      assert.equal(mine(['100:200']).test(pageHit), true);
      assert.equal(mine(['1944017885723175213']).test(sample), false); // visIdHigh alone is not a visitor
    });
    it('is:mine accepts an ECID and an s_vi cookie value', () => {
      const ecidHit = { mcVisIdHigh: '12345', mcVisIdLow: '678' };
      assert.equal(compile('is:mine', ['0000000000000012345' + '0000000000000000678']).test(ecidHit), true);
      const sviHit = { visIdHigh: String(0x2a2b3c4dn), visIdLow: String(0x6000abcdn) };
      assert.equal(compile('is:mine', ['[CS]v1|2A2B3C4D-6000ABCD[CE]']).test(sviHit), true);
    });
    it('negates is:mine', () => {
      assert.equal(matches('-is:mine', sample, ['example.com']), false);
      assert.equal(matches('-is:mine', pageHit, ['example.com']), true);
    });
  });

  describe('combining', () => {
    it('ANDs terms', () => {
      assert.equal(matches('pageName:page evar1:summer type:commerce', sample), true);
      assert.equal(matches('pageName:page evar1:winter', sample), false);
      assert.equal(matches('summer -paris', sample), false);
      assert.equal(matches('summer -london', sample), true);
      assert.equal(matches('-has:evar99 -type:link reportSuite=examplecomprod', sample), true);
    });
    it('negates quoted and regex terms', () => {
      assert.equal(matches('-"summer sale"', sample), false);
      assert.equal(matches('-pageName~/^Page/', sample), false);
      assert.equal(matches('-pageName:"Page #8552"', sample), false);
    });
    it('never throws and never mutates odd data', () => {
      const f = compile('pageName:x evar1:y event1=1 products.name:z has:a.b.c type:page is:mine -free', ['1']);
      for (const d of [{}, { events: 'x', products: 'y', evars: null }, { products: [null, 1, { events: [] }] }, Object.create(null) as Record<string, unknown>,
        null as unknown as Record<string, unknown>, JSON.parse('{"__proto__":{"pageName":"x"}}') as Record<string, unknown>]) {
        const before = JSON.stringify(d);
        f.test(d);
        assert.equal(JSON.stringify(d), before);
      }
    });
    it('does not read inherited properties', () => {
      assert.equal(matches('has:constructor', {}), false);
      assert.equal(matches('has:toString', {}), false);
      assert.equal(matches('has:__proto__', {}), false);
      assert.equal(matches('__proto__.pageName:x', JSON.parse('{"__proto__":{"pageName":"x"}}') as Record<string, unknown>), true);
    });
  });

  describe('errors', () => {
    const cases: [string, RegExp, number, number][] = [
      ['pageName:', /Missing value after "pageName:"/, 0, 9],
      ['a pageName= b', /Missing value after "pageName="/, 2, 11],
      ['pageName:"summer', /Unterminated quote/, 9, 16],
      ['x "free text', /Unterminated quote/, 2, 12],
      ['pageName~/(/', /Invalid regular expression/, 9, 12],
      ['pageName~/a/q', /Invalid regular expression/, 9, 13],
      ['pageName~/abc', /Unterminated regular expression/, 9, 13],
      ['pageName~abc', /Expected \/pattern\/flags/, 9, 12],
      ['pageName~', /Missing \/pattern\//, 0, 9],
      ['has:', /"has:" needs a field name/, 0, 4],
      ['x -has:', /"has:" needs a field name/, 2, 7],
      [':value', /Empty field name before ":"/, 0, 1],
      ['-=value', /Empty field name before "="/, 0, 2],
      ['~/x/', /Empty field name before "~"/, 0, 1],
      ['a - b', /"-" must be followed by a term/, 2, 3],
      ['is:nothing', /Unknown "is:nothing"/, 0, 10],
      ['a.:x', /Invalid field name "a."/, 0, 2],
      ['is:mine', /^Set liveStream.myTraffic to use is:mine$/, 0, 7],
    ];
    for (const [text, message, start, end] of cases) {
      it(`reports ${JSON.stringify(text)}`, () => {
        const e = error(text);
        assert.match(e.message, message);
        assert.deepEqual([e.start, e.end], [start, end]);
      });
    }
    it('limits regex length to 500', () => {
      assert.ok(compileFilter(`pageName~/${'a'.repeat(500)}/`).ok);
      assert.match(error(`pageName~/${'a'.repeat(501)}/`).message, /too long/);
    });
    it('is:mine with only blank entries is an error', () => {
      assert.match(error('is:mine', ['  ', '']).message, /Set liveStream.myTraffic/);
    });
  });

  describe('properties', () => {
    it('compileFilter never throws, and errors lie within the text', () => {
      const piece = fc.constantFrom('"', '-', ':', '=', '~', '/', '\\', '[', ']', '.', ' ', 'has', 'is', 'mine', 'a', 'x1', '(', '*', '+');
      const text = fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map((a) => a.join('')));
      fc.assert(fc.property(text, fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }), (t, myTraffic) => {
        const r = compileFilter(t, myTraffic ? { myTraffic } : undefined);
        if (!r.ok) {
          assert.ok(r.error.message.length > 0);
          assert.ok(r.error.start >= 0 && r.error.start <= r.error.end && r.error.end <= t.length, JSON.stringify([t, r.error]));
        } else {
          r.filter.test(sample);
          r.filter.test({});
        }
      }), { numRuns: 2000 });
    });

    const hitArb = fc.record({
      pageName: fc.oneof(fc.constantFrom('Home', 'Cart', 'Checkout', ''), fc.string({ maxLength: 6 })),
      reportSuite: fc.constantFrom('prod', 'dev'),
      pageEventType: fc.constantFrom('', 'lnk_o', 'o'),
      evars: fc.record({ evars: fc.dictionary(fc.constantFrom('evar1', 'evar2', 'campaign'), fc.string({ maxLength: 5 })) }),
      events: fc.dictionary(fc.constantFrom('event1', 'event2', 'purchase'), fc.array(fc.record({ count: fc.integer({ min: 0, max: 2000 }), exponent: fc.integer({ min: -2, max: 1 }) }), { maxLength: 2 })),
      products: fc.array(fc.record({ name: fc.constantFrom('Hat', 'Shoe'), revenue: fc.integer({ min: 0, max: 5000 }) }), { maxLength: 2 }),
      visIdLow: fc.constantFrom('1', '2'),
    }, { requiredKeys: ['reportSuite'] });
    const termArb = fc.oneof(
      fc.constantFrom('Home', '"Check"', 'prod', 'pageName:o', 'pageName=Home', 'pageName~/^c/i', 'has:evar1', 'evar2:a', 'campaign=""',
        'event1=1', 'event2:0', 'has:purchase', 'products.name:sh', 'products.revenue:1', 'type:commerce', 'type=link', 'is:page',
        'is:mine', 'has:products', 'reportSuite=dev'),
      fc.string({ maxLength: 3 }).map((s) => `pageName:"${s.replace(/["\\]/g, '')}"`),
    );

    it('-X is exactly the complement of X on generated hits', () => {
      fc.assert(fc.property(termArb, fc.array(hitArb, { minLength: 1, maxLength: 20 }), (term, hits) => {
        const pos = compile(term, ['2']), neg = compile(`-${term}`, ['2']);
        for (const h of hits) assert.equal(neg.test(h), !pos.test(h), `${term} on ${JSON.stringify(h)}`);
      }), { numRuns: 500 });
    });

    it('a conjunction matches exactly when every term does', () => {
      fc.assert(fc.property(fc.array(termArb, { minLength: 1, maxLength: 4 }), hitArb, (terms, hit) => {
        const all = compile(terms.join(' '), ['2']).test(hit);
        assert.equal(all, terms.every((t) => compile(t, ['2']).test(hit)));
      }), { numRuns: 500 });
    });
  });
});
