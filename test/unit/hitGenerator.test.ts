import assert from 'node:assert/strict';
import { createHitGenerator, HOSTILE } from '../../src/mock/hitGenerator';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const TWO_53 = 2n ** 53n;
const ID_FIELDS = ['hitIdHigh', 'hitIdLow', 'visIdHigh', 'visIdLow', 'mcVisIdHigh', 'mcVisIdLow'] as const;

/** The digits exactly as written in the text (JSON.parse would round them). */
function idDigits(text: string, field: string): string {
  const m = new RegExp(`"${field}":(\\d+)[,}]`).exec(text);
  assert.ok(m, `${field} missing or not a bare number in ${text.slice(0, 200)}`);
  return m[1]!;
}

function generate(n: number, opts: Parameters<typeof createHitGenerator>[0] = {}, now = NOW): string[] {
  const g = createHitGenerator(opts);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(g.next(now + i * 50));
  return out;
}

describe('hitGenerator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generate(500, { seed: 42 });
    const b = generate(500, { seed: 42 });
    const c = generate(500, { seed: 43 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('writes single-line valid JSON with bare 64-bit ids whose digits JSON.parse would lose', () => {
    const hits = generate(2000, { seed: 7 });
    let above = 0, total = 0, rounded = 0;
    for (const text of hits) {
      assert.ok(!text.includes('\n') && !text.includes('\r'), 'one record = one line');
      const obj = JSON.parse(text) as Record<string, unknown>;
      for (const f of ID_FIELDS) {
        const digits = idDigits(text, f);
        const v = BigInt(digits);
        assert.ok(v < 2n ** 64n, `${f} fits in u64`);
        total++;
        if (v >= TWO_53) above++;
        if (String(BigInt(obj[f] as number)) !== digits) rounded++;
      }
    }
    // "Usually above 2^53": ~90 % by construction.
    assert.ok(above / total > 0.8 && above < total, `above 2^53: ${above}/${total}`);
    assert.ok(rounded > total / 2, 'most ids are beyond what a plain JSON.parse keeps');
  });

  it('never repeats a hit id pair over 10 000 hits', () => {
    const g = createHitGenerator({ seed: 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const t = g.next(NOW);
      seen.add(`${idDigits(t, 'hitIdHigh')}:${idDigits(t, 'hitIdLow')}`);
    }
    assert.equal(seen.size, 10_000);
  });

  it('keeps visitor ids stable across a visitor\'s hits and uses the requested number of visitors', () => {
    const g = createHitGenerator({ seed: 5, visitors: 4 });
    const byVisitor = new Map<number, string>();
    for (let i = 0; i < 400; i++) {
      const t = g.next(NOW);
      const ids = ID_FIELDS.slice(2).map((f) => idDigits(t, f)).join(':');
      const prev = byVisitor.get(g.lastVisitor);
      if (prev) assert.equal(ids, prev);
      byVisitor.set(g.lastVisitor, ids);
    }
    assert.equal(byVisitor.size, 4);
    assert.equal(new Set(byVisitor.values()).size, 4);
  });

  it('covers the Adobe record shape: hit kinds, products, events with exponents, list vars, suites, times', () => {
    const nowSec = Math.floor(NOW / 1000);
    const hits = generate(3000, { seed: 11, hostileEvery: 0 }, NOW).map((t) => JSON.parse(t) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const suites = new Set(hits.map((h) => h.reportSuite));
    assert.ok(suites.has('demoprod') && suites.has('demodev') && suites.size >= 2, [...suites].join());
    assert.ok(hits.some((h) => h.pageEventType === 0 && !('linkType' in h)), 'page views');
    const links = hits.filter((h) => typeof h.linkType === 'string');
    assert.ok(links.length > 0 && links.every((h) => h.linkName && h.linkURL && h.pageEventType >= 100));
    assert.deepEqual(new Set(links.map((h) => h.linkType)), new Set(['o', 'd', 'e']));
    const purchases = hits.filter((h) => h.events.purchase);
    assert.ok(purchases.length > 0);
    for (const p of purchases) {
      assert.ok(p.products.length >= 1);
      for (const prod of p.products) {
        assert.ok(Number.isInteger(prod.revenue) && prod.revenue > 0, 'revenue in cents');
        assert.ok(Number.isInteger(prod.units) && prod.units > 0);
        assert.equal(typeof prod.category, 'string');
        assert.equal(typeof prod.evars, 'object');
        assert.ok(prod.events.event61[0].count >= 1);
      }
      assert.deepEqual(Object.keys(p.events.purchase[0]).sort(), ['count', 'exponent', 'unique']);
      assert.equal(p.events.event20[0].exponent, 2);
    }
    assert.ok(hits.some((h) => h.events.scAdd) && hits.some((h) => h.events.prodView) && hits.some((h) => h.events.scCheckout));
    assert.ok(hits.some((h) => h.evars.evars.campaign) && hits.every((h) => typeof h.evars.evars.evar1 === 'string'));
    assert.ok(hits.every((h) => typeof h.props.prop1 === 'string'));
    const mv = hits.find((h) => h.mvvars)!.mvvars['1'].m;
    assert.equal(mv.delim, 44);
    assert.ok(Array.isArray(mv.values));
    assert.ok(hits.every((h) => h.hierarchies['site-hier'].delim === 58));
    assert.ok(hits.some((h) => Array.isArray(h.tnt) && Array.isArray(h.tntAction)));
    assert.ok(hits.some((h) => /[^ -~]/.test(h.geoCity)), 'multi-byte text in ordinary hits too');
    let outOfOrder = 0;
    hits.forEach((h, i) => {
      const callSec = nowSec + Math.floor((i * 50) / 1000);
      assert.ok(h.timeGMT <= callSec - 2 && h.timeGMT >= callSec - 60, `timeGMT lag ${callSec - h.timeGMT}`);
      assert.ok(h.receivedTimeGMT >= h.timeGMT && h.receivedTimeGMT <= callSec);
      if (i > 0 && h.timeGMT < hits[i - 1]!.timeGMT) outOfOrder++;
    });
    assert.ok(outOfOrder > 100, 'hits are not in time order');
  });

  it('puts hostile strings in every hostileEvery-th hit, and only there', () => {
    const hits = generate(100, { seed: 9, hostileEvery: 25 });
    const isHostile = (t: string) => t.includes('<script>');
    assert.deepEqual(hits.map((t, i) => (isHostile(t) ? i + 1 : 0)).filter(Boolean), [25, 50, 75, 100]);
    const all = hits.filter(isHostile).join('\n');
    for (const s of [HOSTILE.script, HOSTILE.img, HOSTILE.jsUrl, HOSTILE.rtl, HOSTILE.emoji, HOSTILE.lineSeparator, HOSTILE.softHyphenKey]) {
      assert.ok(all.includes(JSON.stringify(s).slice(1, -1)) || all.includes(s), `missing ${JSON.stringify(s)}`);
    }
    const h = JSON.parse(hits[24]!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(h.pageName, HOSTILE.script);
    assert.equal(h.pageURL, HOSTILE.jsUrl);
    assert.ok(h.referrer.includes(HOSTILE.img));
    assert.ok(h.evars.evars.evar3.includes(HOSTILE.rtl) && h.evars.evars.evar3.includes('"') && h.evars.evars.evar3.includes('\\'));
    assert.ok(h.products[0].name.includes(HOSTILE.emoji));
    assert.ok(HOSTILE.softHyphenKey in h.hierarchies && 'site-hier' in h.hierarchies, 'look-alike keys side by side');
    assert.equal(h.languageAbbrev, HOSTILE.softHyphenLang);
    // A 4-byte UTF-8 sequence is really in the text (not \u-escaped).
    assert.ok(Buffer.byteLength(hits[24]!) > hits[24]!.length);
    // Hostile hits still carry exact 64-bit ids.
    assert.match(hits[24]!, /"hitIdHigh":\d+,"hitIdLow":\d+,/);
    assert.match(hits[24]!, /"visIdLow":\d+[,}]/);

    assert.ok(!generate(100, { seed: 9, hostileEvery: 0 }).some(isHostile));
  });

  it('produces 20 000 hits quickly', () => {
    const g = createHitGenerator({ seed: 1 });
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) g.next(NOW);
    const ms = performance.now() - t0;
    // Generous bound (slow CI machines): it only catches an accidental O(n) per hit.
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms for 20 000 hits`);
  });
});
