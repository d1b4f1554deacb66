import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fastHitKey, hitKey, digitsEnd, longRunAt, parseRecord, quoteLongIntegers, RecordParseError } from '../../src/shared/losslessJson';

const fixture = readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8');

describe('losslessJson', () => {
  it('keeps every digit of the 64-bit ids in Adobe\'s sample hit', () => {
    const rec = parseRecord(fixture);
    assert.equal(rec.hitIdHigh, '2948027281753079808');
    assert.equal(rec.hitIdLow, '4948646782672799561');
    assert.equal(rec.visIdHigh, '1944017885723175213');
    assert.equal(rec.visIdLow, '2512895455560210216');
    assert.equal(hitKey(rec), '2948027281753079808:4948646782672799561');
    // Plain JSON.parse would have rounded it: the test input really is hard.
    assert.notEqual(String((JSON.parse(fixture) as { hitIdLow: number }).hitIdLow), '4948646782672799561');
    // Ordinary numbers stay numbers; the soft-hyphen key survives.
    assert.equal(rec.browserHeight, 1350);
    assert.ok(Object.keys(rec.hierarchies as object).includes('site-\u00adhier'));
  });

  it('does not touch digits inside strings, even with escaped quotes', () => {
    const t = '{"a":"x:12345678901234567,","b":[12345678901234567,-99999999999999999],"c":1.12345678901234567,"d":"\\"12345678901234567","e":12345678901234567}';
    const q = quoteLongIntegers(t);
    const v = JSON.parse(q);
    assert.equal(v.a, 'x:12345678901234567,');
    assert.deepEqual(v.b, ['12345678901234567', '-99999999999999999']);
    assert.equal(typeof v.c, 'number');
    assert.equal(v.d, '"12345678901234567');
    assert.equal(v.e, '12345678901234567');
  });

  it('small ids are still strings (one type for the key)', () => {
    const rec = parseRecord('{"hitIdHigh":1,"hitIdLow":2}');
    assert.equal(rec.hitIdHigh, '1');
    assert.equal(hitKey(rec), '1:2');
    assert.equal(hitKey({}), '');
  });

  it('rejects non-objects and broken JSON with RecordParseError', () => {
    for (const bad of ['[1,2]', '42', 'null', '{"a":', '{"a":"unterminated}', '\u0000']) {
      assert.throws(() => parseRecord(bad), RecordParseError, bad);
    }
  });

  it('property: any 64-bit unsigned id round-trips exactly, in any position', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.string(),
      (hi, lo, s) => {
        const text = `{"pageName":${JSON.stringify(s)},"hitIdHigh":${hi},"nested":{"x":[${lo}]},"hitIdLow": ${lo} }`;
        const rec = parseRecord(text);
        assert.equal(rec.hitIdHigh, hi.toString());
        assert.equal(rec.hitIdLow, lo.toString());
        assert.equal(rec.pageName, s);
        const nested = (rec.nested as { x: unknown[] }).x[0];
        assert.equal(String(nested), lo.toString());
      },
    ), { numRuns: 500 });
  });

  it('the fast path and the quoting path agree, including the awkward cases', () => {
    const cases = [
      '{"hitIdHigh":12345678901234567,"n":{"x":98765432109876543}}',
      '{"a":"12345678901234567","hitIdLow":22345678901234567}',
      '{"a":"x\\":12345678901234567}","hitIdLow":22345678901234567}',
      '{"k":12345678901234567,"n":{"k":12345678901234568}}',
      '{"f":1.12345678901234567,"hitIdLow":22345678901234567}',
      '{"arr":[12345678901234567, 22345678901234567],"hitIdLow":-32345678901234567}',
      '{ "hitIdHigh" :  12345678901234567 , "hitIdLow":\t22345678901234567\n}',
    ];
    for (const c of cases) {
      const slow = JSON.parse(quoteLongIntegers(c));
      for (const f of ['hitIdHigh', 'hitIdLow']) if (typeof slow[f] === 'number') slow[f] = String(slow[f]);
      assert.deepEqual(parseRecord(c), slow, c);
    }
  });

  it('property: quoting never changes a document without long integers outside strings', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = JSON.stringify(v);
      const parsed = JSON.parse(quoteLongIntegers(text));
      // Numbers with 16+ integer digits may have become strings; nothing else changes.
      assert.equal(JSON.stringify(parsed, (_k, x) => (typeof x === 'string' && /^-?\d{16,}$/.test(x) ? Number(x) : x)), JSON.stringify(JSON.parse(text)));
    }), { numRuns: 300 });
  });

  it('property: the probing scan finds exactly the runs /\\d{16,}/g finds', () => {
    const runs = (text: string): [number, number][] => {
      const out: [number, number][] = [];
      for (let at = longRunAt(text, 0); at !== -1; at = longRunAt(text, digitsEnd(text, at))) out.push([at, digitsEnd(text, at)]);
      return out;
    };
    // Digit runs of every length around 16, at every offset, between other characters (including
    // non-ASCII digits, which \d does not match either).
    const piece = fc.oneof(fc.stringMatching(/^[0-9]{0,40}$/), fc.constantFrom('a', '"', '-', ' ', ':', '\u0660', '٣'));
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(runs(text), [...text.matchAll(/\d{16,}/g)].map((m) => [m.index, m.index + m[0].length]));
    }), { numRuns: 2000 });
    // The edges: a run of exactly 15/16/17 digits at the start, at the end, and alone.
    for (const t of ['1'.repeat(15), '1'.repeat(16), '1'.repeat(17), `x${'2'.repeat(16)}`, `${'3'.repeat(16)}x`, `${'4'.repeat(15)}x${'5'.repeat(16)}`]) {
      assert.deepEqual(runs(t), [...t.matchAll(/\d{16,}/g)].map((m) => [m.index, m.index + m[0].length]), t);
    }
  });

  describe('fastHitKey (the CLI\'s key without a full restore) agrees with hitKey(parseRecord) or declines', () => {
    /** The key fastHitKey gives after the same JSON.parse the processor does, or the full path's when it declines. */
    const fast = (t: string) => fastHitKey(JSON.parse(t) as Record<string, unknown>, t);
    const full = (t: string) => hitKey(parseRecord(t));

    it('on Adobe\'s sample hit and the awkward cases', () => {
      assert.equal(fast(fixture), '2948027281753079808:4948646782672799561');
      const cases: [string, string | undefined][] = [
        ['{"hitIdHigh":12345678901234567,"hitIdLow":22345678901234567}', '12345678901234567:22345678901234567'],
        ['{"hitIdHigh":1,"hitIdLow":2}', '1:2'],
        ['{"hitIdHigh":-0,"hitIdLow":2}', '0:2'],
        ['{"hitIdLow":2}', ''],
        ['{}', ''],
        // Declines: the name twice, a nested copy, quoted ids, \u escapes, floats.
        ['{"n":{"hitIdHigh":12345678901234568},"hitIdHigh":12345678901234567,"hitIdLow":1}', undefined],
        ['{"hitIdHigh":"12345678901234567","hitIdLow":1}', undefined],
        ['{"hitId\\u0048igh":12345678901234567,"n":{"hitIdHigh":12345678901234566},"hitIdLow":1}', undefined],
        ['{"hitIdHigh":1.5,"hitIdLow":1}', undefined],
        ['{"hitIdHigh":1e3,"hitIdLow":1}', undefined],
        ['{"x":"\\"hitIdHigh\\":5","hitIdLow":1}', ''],
      ];
      for (const [t, want] of cases) {
        assert.equal(fast(t), want, t);
        if (want !== undefined) assert.equal(want, full(t), t);
      }
    });

    it('property: random 64-bit ids in random documents, wherever fastHitKey answers, its answer is hitKey(parseRecord)', () => {
      let answered = 0;
      fc.assert(fc.property(
        fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.jsonValue(),
        fc.boolean(),
        fc.constantFrom('', ' ', '\t', '\n '),
        (hi, lo, extra, nest, ws) => {
          const nested = nest ? `,"n":{"hitIdLow":${lo + 1n}}` : '';
          const t = `{"x":${JSON.stringify(extra)},"hitIdHigh"${ws}:${ws}${hi}${nested},"hitIdLow":${lo}}`;
          const f = fast(t);
          if (f !== undefined) { answered++; assert.equal(f, full(t), t); }
        },
      ), { numRuns: 500 });
      // The fast path is the common case, not a path that always declines.
      assert.ok(answered > 200, `answered ${answered}/500`);
    });
  });
});

