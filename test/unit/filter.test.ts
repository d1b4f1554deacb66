import { parseRecord } from '../../src/shared/losslessJson';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { compileFilter, type CompiledFilter, type FilterError } from '../../src/analytics/filter/compileFilter';
import { MAX_PROGRAM } from '../../src/analytics/filter/userRegex';

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

  describe('field~/regex/ runs in linear time (RE2)', () => {
    // A hang detector, not a benchmark: the filtering runs in a child process that is
    // killed after KILL_MS, so a backtracking engine fails the test instead of hanging
    // mocha (JavaScript's RegExp takes about 100 s for ONE 31-character value here, and
    // never finishes on 10 000 characters). Expected: about 10 ms for the whole loop.
    it('(a+)+$ and ^(\\w+\\.?)+$ over 1 000 pathological values finish at once', function () {
      const KILL_MS = 30_000;
      const BOUND_MS = 1_000; // > 50 × the expected time
      this.timeout(KILL_MS + 10_000);
      const script = `
        const { compileFilter } = require(${JSON.stringify(require.resolve('../../src/analytics/filter/compileFilter'))});
        const hits = [];
        for (let i = 0; i < 1000; i++) {
          // Mostly the 31-character page name of the report, and every 100th 10 000 characters long.
          const n = i % 100 === 0 ? 10000 : 30;
          hits.push({ pageName: 'a'.repeat(n) + '!', pageURL: 'a'.repeat(n) + '!' });
        }
        const out = {};
        for (const text of ['pageName~/(a+)+$/', 'pageURL~/^(\\w+\\.?)+$/', 'pageName~/(a|aa)*$/i -pageURL~/^(a*)*b/']) {
          const r = compileFilter(text);
          if (!r.ok) throw new Error(r.error.message);
          const t0 = performance.now();
          let matched = 0;
          for (const h of hits) if (r.filter.test(h)) matched++;
          out[text] = { ms: performance.now() - t0, matched };
        }
        process.stdout.write(JSON.stringify(out));
      `;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { timeout: KILL_MS, encoding: 'utf8' });
      assert.equal(r.signal, null, `the filter did not finish within ${KILL_MS} ms (backtracking?)`);
      assert.equal(r.status, 0, r.stderr);
      const res = JSON.parse(r.stdout) as Record<string, { ms: number; matched: number }>;
      assert.deepEqual(Object.values(res).map((x) => x.matched), [0, 0, 1000]);
      for (const [text, { ms }] of Object.entries(res)) assert.ok(ms < BOUND_MS, `${text}: ${ms.toFixed(0)} ms for 1 000 hits`);
    });

    it('keeps ordinary JavaScript regex meaning', () => {
      const d = { pageName: 'Checkout: Step 2\u00a0of 3', pageURL: 'https://shop.test/a/b?q=1', evar: 'x' };
      const same = (body: string, flags: string, value: string) => {
        const want = new RegExp(body, flags).test(value);
        assert.equal(matches(`pageName~/${body}/${flags}`, { pageName: value }), want, `/${body}/${flags} on ${JSON.stringify(value)}`);
      };
      for (const [body, flags] of [
        ['^check.*out', 'i'], ['Step \\d+\\sof', ''], ['\\bStep\\b', ''], ['[^a-z]{2}\\d', ''], ['out:?\\s', ''], ['^(?:Check|Cart)(?<rest>out)', ''],
        ['\\x53tep|\\u0053tep', ''], ['a{,2}', ''], ['^.{5,}$', ''], ['3$', ''], ['[\\s\\S]*', ''], ['^$', ''], ['STEP', 'i'], ['\\W\\D', ''],
      ]) same(body!, flags!, d.pageName);
      check('pageURL~/\\/a\\/b\\?q=\\d$/', d, { pageURL: 'https://shop.test/a/b?q=x' });
      check('pageURL~/^https?:\\/\\/[^/]+\\.test\\//', d, { pageURL: 'ftp://shop.test/' });
    });

    it('supports the i, m and s flags and ignores g, y and d', () => {
      check('pageName~/^HOME$/i', { pageName: 'home' }, { pageName: 'home page' });
      check('pageName~/^b$/m', { pageName: 'a\nb\nc' }, { pageName: 'a b c' });
      assert.equal(matches('pageName~/^b$/', { pageName: 'a\nb\nc' }), false);
      check('pageName~/a.b/s', { pageName: 'a\nb' }, { pageName: 'ab' });
      assert.equal(matches('pageName~/a.b/', { pageName: 'a\nb' }), false);
      assert.equal(matches('pageName~/a.b/', { pageName: 'a\rb' }), false); // JavaScript's "." excludes \r too
      check('pageName~/home/gyd', { pageName: 'home' }, { pageName: 'away' });
      check('pageName~/^\\p{Lu}/u', { pageName: 'Élan' }, { pageName: 'élan' });
    });

    it('matches Unicode text by code point, with case folding', () => {
      check('pageName~/^café ☕$/i', { pageName: 'CAFÉ ☕' }, { pageName: 'cafe ☕' });
      check('pageName~/ΕΛΛΆΔΑ/i', { pageName: 'Καλώς ήρθατε στην Ελλάδα' }, { pageName: 'Greece' });
      check('pageName~/^😀+$/', { pageName: '😀😀' }, { pageName: '😀x' });
      check('pageName~/^\\u{1F600}.$/u', { pageName: '😀😃' }, { pageName: '😀' });
      check('pageName~/\\s/', { pageName: 'a\u3000b' }, { pageName: 'ab' }); // JavaScript's \s includes U+3000
      check('pageName~/\\p{Script=Greek}/u', { pageName: 'Ω' }, { pageName: 'O' });
      // Text that is not well-formed UTF-16 is still tested, never thrown on.
      assert.equal(matches('pageName~/a.c/', { pageName: 'a\ud800c' }), true);
      assert.equal(matches('pageName~/x/', { pageName: '\udfff\ud800x' }), true);
    });

    it('refuses backreferences and lookaround with an error naming the feature, at its position', () => {
      const why = '(filters use linear-time RE2 syntax)';
      const cases: [string, string, number, number][] = [
        ['pageName~/(a)\\1/', `Backreferences are not supported ${why}`, 13, 15],
        ['x pageName~/(?<n>a)\\k<n>/i', `Backreferences are not supported ${why}`, 19, 24],
        ['pageName~/(?=a)b/', `Lookahead (?=…) is not supported ${why}`, 10, 13],
        ['pageName~/a(?!b)/', `Lookahead (?!…) is not supported ${why}`, 11, 14],
        ['pageName~/(?<=a)b/', `Lookbehind (?<=…) is not supported ${why}`, 10, 14],
        ['-pageName~/(?<!a)b/', `Lookbehind (?<!…) is not supported ${why}`, 11, 15],
      ];
      for (const [text, message, start, end] of cases) {
        const e = error(text);
        assert.equal(e.message, message, text);
        assert.deepEqual([e.start, e.end], [start, end], `${text}: ${JSON.stringify(e)}`);
      }
      assert.match(error('pageName~/\\p{Emoji}/u').message, /Unicode property \\p\{Emoji\} is not supported/);
      assert.match(error('pageName~/a/v').message, /flag "v": it is not supported \(filters use linear-time RE2 syntax\)/);
    });

    it('refuses a pattern too expensive to run on every hit, naming the term', () => {
      const cases: [string, RegExp, number, number][] = [
        ['a pageName~/(a{1000}){1000}/ b', /^Regular expression too expensive in "pageName~\/\(a\{1000\}\)\{1000\}\/": it compiles to about 1,002,001 instructions \(the limit is 1000\)/, 2, 28],
        ['pageName~/\\w{1000}x\\w{1000}/i', /^Regular expression too expensive in "pageName~\/\\w\{1000\}x\\w\{1000\}\/i": it compiles to 2,003 instructions/, 0, 29],
        ['-pageURL~/.{5000}/', /^Regular expression too expensive in "-pageURL~\/\.\{5000\}\/": repeat count \{5000\} is over RE2's limit of 1000/, 0, 18],
        ['x~/((((a{10}){10}){10}){10}){10}/', /too expensive in "x~\/\(\(\(\(a\{10\}\)\{10\}\)\{10\}\)\{10\}\)\{10\}\/": it compiles to about 122,221 instructions/, 0, 33],
      ];
      for (const [text, message, start, end] of cases) {
        const e = error(text);
        assert.match(e.message, message, text);
        assert.deepEqual([e.start, e.end], [start, end], `${text}: ${JSON.stringify(e)}`);
      }
      // At the limit: still accepted.
      assert.ok(compileFilter(`pageName~/a{${MAX_PROGRAM - 2}}/`).ok);
      assert.ok(compileFilter('pageName~/^.{0,300}$/').ok);
    });

    it('agrees with JavaScript RegExp on generated patterns and values', () => {
      const piece = fc.constantFrom('a', 'b', 'é', '.', '*', '+', '?', '*?', '|', '(', ')', '(?:', '[ab]', '[^a]', '[a-c]', '\\d', '\\w', '\\s', '\\S', '\\W', '^', '$', '{1,2}', '{2}', '\\b', '\\B', '\\.', '-', ' ');
      const pattern = fc.array(piece, { minLength: 1, maxLength: 8 }).map((a) => a.join(''))
        .filter((p) => { try { new RegExp(p); return true; } catch { return false; } });
      const value = fc.array(fc.constantFrom('a', 'b', 'c', 'A', 'é', 'É', '1', ' ', '\u00a0', '\n', '.', '-', '_'), { maxLength: 10 }).map((a) => a.join(''));
      fc.assert(fc.property(pattern, fc.constantFrom('', 'i', 'm', 's', 'is'), fc.array(value, { minLength: 1, maxLength: 5 }), (p, flags, values) => {
        const r = compileFilter(`v~/${p}/${flags}`);
        if (!r.ok) assert.fail(`v~/${p}/${flags}: ${r.error.message}`);
        const js = new RegExp(p, flags);
        for (const v of values) assert.equal(r.filter.test({ v }), js.test(v), `/${p}/${flags} on ${JSON.stringify(v)}`);
      }), { numRuns: 3000 });
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

describe('filter language: comparisons and rule terms (issue 13)', () => {
  const purchaseHit: Record<string, unknown> = {
    pageName: 'checkout:confirmation', events: { purchase: [{ count: 1, exponent: 0, unique: 'T1' }], event20: [{ count: 5, exponent: 2 }] },
    products: [{ name: 'Shoe', revenue: 1799, units: 2 }],
  };
  const zeroHit: Record<string, unknown> = { events: { purchase: [{ count: 0, exponent: 0 }] }, products: [{ name: 'Shoe', revenue: 0 }] };

  it('compares event values, revenue and plain fields as exact decimals', () => {
    check('purchase>0', purchaseHit, zeroHit);
    check('event20>=500', purchaseHit, zeroHit);
    check('event20<501', purchaseHit, zeroHit);
    check('products.revenue>0', purchaseHit, zeroHit);
    check('products.revenue>=17.99', purchaseHit, zeroHit); // the amount, not only the cents
    check('products.units<=2', purchaseHit, zeroHit);
    assert.equal(matches('purchase<=0', zeroHit), true);
    assert.equal(matches('pageName>0', purchaseHit), false, 'a non-number never compares');
  });

  it('keeps < and > as text when no number follows, so <script> still searches', () => {
    const hostile = { pageName: '<script>alert(1)</script>' };
    assert.equal(matches('<script>', hostile), true);
    assert.equal(matches('pageName:<script>', hostile), true);
    assert.equal(compile('purchase>x1').terms[0]!.field, undefined, 'purchase>x1 is a free-text term');
  });

  it('exposes the terms in source order with their field and position', () => {
    const f = compile('has:evar5 purchase>0 -prop3~/@/ is:page free');
    assert.deepEqual(f.terms.map((t) => [t.text, t.field, t.negate, t.start, t.end]), [
      ['has:evar5', 'evar5', false, 0, 9], ['purchase>0', 'purchase', false, 10, 20], ['-prop3~/@/', 'prop3', true, 21, 31],
      ['is:page', 'type', false, 32, 39], ['free', undefined, false, 40, 44],
    ]);
    assert.equal(f.terms[2]!.test({ props: { prop3: 'a@b.c' } }), false);
    assert.equal(f.terms[2]!.test({ props: { prop3: 'ab' } }), true);
  });

  it('is:violation and rule:id read the hit\'s rule failures, and are errors without rules', () => {
    const failing = { pageName: 'x' };
    const clean = { pageName: 'y' };
    const ruleFailures = (d: Record<string, unknown>) => (d === failing ? [{ rule: 'checkout-evar5', kind: 'expect' }, { rule: 'personal-data', kind: 'email' }] : []);
    const c = (t: string) => { const r = compileFilter(t, { ruleFailures }); if (!r.ok) assert.fail(r.error.message); return r.filter; };
    assert.equal(c('is:violation').test(failing), true);
    assert.equal(c('is:violation').test(clean), false);
    assert.equal(c('rule:checkout-evar5').test(failing), true);
    assert.equal(c('rule:personal-data/email').test(failing), true);
    assert.equal(c('rule:personal-data/phone').test(failing), false);
    assert.equal(c('-is:violation').test(clean), true);
    assert.match(error('is:violation').message, /needs tracking rules/);
    assert.match(error('rule:x').message, /needs tracking rules/);
  });
});
