import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRecord } from '../../src/shared/losslessJson';
import { RulesChecker } from '../../src/analytics/rules/checker';
import {
  findCardNumber, findEmail, findPhone, luhn, personalData, longEvars, badEvents, unknownFields, utf8Bytes, isFreeTextPath,
} from '../../src/analytics/rules/detectors';
import { parseDuration, formatDuration } from '../../src/analytics/rules/duration';
import { parseRulesFile, RULES_LIMITS, type RuleSet } from '../../src/analytics/rules/ruleFile';
import { FakeClock } from '../support/fakeClock';
import { createHitGenerator } from '../../src/mock/hitGenerator';

const sample = parseRecord(readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8'));

function rules(text: string, opts?: Parameters<typeof parseRulesFile>[1]): RuleSet {
  const r = parseRulesFile(text, opts);
  assert.deepEqual(r.errors.map((e) => e.message), []);
  return r.set;
}

const NO_BUILTINS = '"builtins": { "personalData": false, "evarLength": false, "eventValues": false, "unknownFields": false }';

describe('tracking rules (issue 13)', () => {
  describe('rules file parsing', () => {
    it('reads rules, severities, messages, within and built-ins, with each rule\'s line', () => {
      const text = [
        '{',
        '  "$schema": "./livestream-rules.schema.json",',
        '  // comments are allowed',
        '  "builtins": { "unknownFields": false, "evarLength": "error" },',
        '  "rules": [',
        '    { "id": "checkout-evar5", "when": "pageName~/^checkout:/ is:page", "expect": "has:evar5", "severity": "error", "message": "Checkout pages set eVar5" },',
        '    { "id": "purchase-after-confirmation", "when": "pageName=checkout:confirmation", "expect": ["purchase>0", "products.revenue>0"], "within": "2m" },',
        '  ],',
        '}',
      ].join('\n');
      const set = rules(text);
      assert.deepEqual(set.rules.map((r) => [r.id, r.severity, r.at.line, r.at.column, r.withinMs]), [
        ['checkout-evar5', 'error', 5, 12, undefined],
        ['purchase-after-confirmation', 'warning', 6, 12, 120_000],
      ]);
      assert.equal(set.rules[0]!.message, 'Checkout pages set eVar5');
      assert.match(set.rules[1]!.message, /purchase>0 products.revenue>0.*within 2m/);
      assert.deepEqual(set.builtins.map((b) => [b.id, b.severity, b.at.line]), [
        ['personal-data', 'error', 0], ['evar-length', 'error', 3], ['event-values', 'warning', 0],
      ]);
    });

    it('reports JSON syntax errors with line and column', () => {
      const r = parseRulesFile('{\n  "rules": [\n    { "id": "a" "expect": "x" }\n  ]\n}');
      assert.equal(r.errors.length > 0, true);
      assert.match(r.errors[0]!.message, /CommaExpected/);
      assert.deepEqual([r.errors[0]!.line, r.errors[0]!.column], [2, 16]);
    });

    it('maps a filter error inside "expect" to its exact place in the file, through JSON escapes', () => {
      const text = '{ "rules": [\n  { "id": "r1", "expect": "pageName:\\"a\\" evar5~xyz" }\n] }';
      const r = parseRulesFile(text);
      assert.equal(r.errors.length, 1);
      const e = r.errors[0]!;
      assert.match(e.message, /^"expect": /);
      assert.equal(e.line, 1);
      // The error points at "xyz" on line 2, past the escaped quotes.
      const lineText = text.split('\n')[1]!;
      assert.equal(lineText.slice(e.column, e.column + e.length), 'xyz');
      assert.deepEqual(r.set.rules, [], 'a rule with an error is left out');
    });

    it('refuses bad ids, duplicate ids, built-in ids, unknown keys, bad severities, bad within and a missing expect, each at its place', () => {
      const text = [
        '{ "rules": [',
        '  { "id": "has space", "expect": "has:evar1" },',
        '  { "id": "dup", "expect": "has:evar1" },',
        '  { "id": "dup", "expect": "has:evar1" },',
        '  { "id": "personal-data", "expect": "has:evar1" },',
        '  { "id": "k", "expect": "has:evar1", "colour": "red" },',
        '  { "id": "s", "expect": "has:evar1", "severity": "fatal" },',
        '  { "id": "w", "when": "is:page", "expect": "purchase>0", "within": "3 days" },',
        '  { "id": "w2", "expect": "purchase>0", "within": "1m" },',
        '  { "id": "noexpect" },',
        '  "not an object"',
        '], "extra": 1 }',
      ].join('\n');
      const r = parseRulesFile(text);
      const at = (re: RegExp) => { const e = r.errors.find((x) => re.test(x.message)); assert.ok(e, `no error ${re}`); return e.line; };
      assert.equal(at(/"id" must be letters/), 1);
      assert.equal(at(/Duplicate rule id "dup"/), 3);
      assert.equal(at(/id of a built-in/), 4);
      assert.equal(at(/Unknown key "colour"/), 5);
      assert.equal(at(/"severity" must be/), 6);
      assert.equal(at(/"within" must be a duration/), 7);
      assert.equal(at(/with "within" needs a "when"/), 8);
      assert.equal(at(/needs "expect"/), 9);
      assert.equal(at(/A rule must be an object/), 10);
      assert.equal(at(/Unknown key "extra"/), 11);
      assert.deepEqual(r.set.rules.map((x) => x.id), ['dup']);
    });

    it('bounds untrusted files: size, rule count, deep nesting', () => {
      const big = parseRulesFile(' '.repeat(RULES_LIMITS.fileBytes + 1));
      assert.match(big.errors[0]!.message, /over 256 KiB/);
      const many = `{ "rules": [${Array.from({ length: RULES_LIMITS.rules + 5 }, (_, i) => `{"id":"r${i}","expect":"has:evar1"}`).join(',')}] }`;
      const m = parseRulesFile(many);
      assert.equal(m.set.rules.length, RULES_LIMITS.rules);
      assert.match(m.errors[0]!.message, /Only the first 200 rules/);
      const deep = parseRulesFile('['.repeat(100_000));
      assert.equal(deep.errors.length > 0, true);
    });

    it('regex terms in rules run on RE2: backreferences are refused, (a+)+$ is harmless', () => {
      const r = parseRulesFile('{ "rules": [ { "id": "x", "expect": "pageName~/(a)\\\\1/" } ] }');
      assert.match(r.errors[0]!.message, /backreference/i);
      const set = rules(`{ ${NO_BUILTINS}, "rules": [ { "id": "x", "expect": "-pageName~/(a+)+$/" } ] }`);
      const checker = new RulesChecker(set, { clock: new FakeClock() });
      const res = checker.check({ pageName: `${'a'.repeat(30_000)}!` });
      assert.deepEqual(res.passed, ['x']);
    });

    it('the setting liveStream.rules.builtins=false turns built-ins off unless the file turns one on', () => {
      const set = rules('{ "builtins": { "personalData": true } }', { builtinsOff: true });
      assert.deepEqual(set.builtins.map((b) => b.id), ['personal-data']);
    });

    it('durations', () => {
      assert.equal(parseDuration('2m'), 120_000);
      assert.equal(parseDuration('1h30m'), 5_400_000);
      assert.equal(parseDuration('90'), 90_000);
      assert.equal(parseDuration('250ms'), 250);
      assert.equal(parseDuration('2 minutes'), undefined);
      assert.equal(parseDuration(''), undefined);
      assert.equal(formatDuration(90_000), '1m30s');
      assert.equal(formatDuration(120_000), '2m');
    });
  });

  describe('built-in detectors', () => {
    it('e-mail addresses, also URL-encoded, and not @handles or versions', () => {
      assert.equal(findEmail('contact jane.doe+shop@example.co.uk today'), 'jane.doe+shop@example.co.uk');
      assert.equal(findEmail('https://x.test/?email=jane%40example.com&x=1'), 'jane@example.com');
      assert.equal(findEmail('follow @example on social'), undefined);
      assert.equal(findEmail('user@localhost'), undefined);
      assert.equal(findEmail('pkg@1.2.3'), undefined);
      assert.equal(findEmail('a@b.c'), undefined, 'a one-letter TLD is not a domain');
    });

    it('card numbers must pass Luhn; repeated digits and other lengths are not cards', () => {
      assert.equal(luhn('4111111111111111'), true);
      assert.equal(luhn('4111111111111112'), false);
      assert.equal(findCardNumber('paid with 4111 1111 1111 1111 ok'), '4111 1111 1111 1111');
      assert.equal(findCardNumber('card 5500-0000-0000-0004'), '5500-0000-0000-0004');
      assert.equal(findCardNumber('order 4111111111111112'), undefined, 'fails Luhn');
      assert.equal(findCardNumber('0000000000000000'), undefined, 'passes Luhn but is one repeated digit');
      assert.equal(findCardNumber('SKU4111111111111111'), undefined, 'glued to letters: an identifier');
      assert.equal(findCardNumber('1.2.3.4111111111111111'), undefined, 'dots are not card separators');
    });

    it('a 16-digit id that passes Luhn is a card only in a free-text variable', () => {
      const id = '4111111111111111';
      const asId = { visIdLow: id, hitIdHigh: id, transactionId: id, customVisId: id, mcVisIdHigh: id };
      assert.deepEqual(personalData(asId), []);
      const inEvar = { evars: { evars: { evar9: `ref ${id}` } } };
      assert.deepEqual(personalData(inEvar), [{ kind: 'card', field: 'evar9', value: id }]);
      const notLuhn = { evars: { evars: { evar9: '4111111111111112' } } };
      assert.deepEqual(personalData(notLuhn), []);
      assert.equal(isFreeTextPath(['props', 'prop3']), true);
      assert.equal(isFreeTextPath(['visIdLow']), false);
      assert.equal(isFreeTextPath(['products', '0', 'revenue']), false);
    });

    it('phone numbers: E.164 and separated North American numbers, not timestamps, dates or IPs', () => {
      assert.equal(findPhone('call +41 44 668 18 00'), '+41 44 668 18 00');
      assert.equal(findPhone('(555) 123-4567'), '(555) 123-4567');
      assert.equal(findPhone('555.123.4567'), '555.123.4567');
      assert.equal(findPhone('1700000000'), undefined);
      assert.equal(findPhone('2026-12-02 10:15'), undefined);
      assert.equal(findPhone('91.71.30.70'), undefined);
      assert.equal(findPhone('v+1'), undefined);
    });

    it('the Adobe sample hit has no personal data, no long eVar and no bad event', () => {
      assert.deepEqual(personalData(sample), []);
      assert.deepEqual(longEvars(sample), []);
      assert.deepEqual(badEvents(sample), []);
      assert.deepEqual(unknownFields(sample), []);
    });

    it('eVars over 255 UTF-8 bytes, counted in bytes (hit and product eVars)', () => {
      assert.equal(utf8Bytes('ü'), 2);
      assert.equal(utf8Bytes('🎉'), 4);
      const ok = { evars: { evars: { evar1: 'a'.repeat(255), evar2: 'ü'.repeat(127) } } };
      assert.deepEqual(longEvars(ok), []);
      const over = { evars: { evars: { evar1: 'ü'.repeat(128) } }, products: [{ evars: { evar5: 'x'.repeat(256) } }] };
      const f = longEvars(over);
      assert.deepEqual(f.map((x) => [x.kind, x.field]), [['too-long', 'evar1'], ['too-long', 'products.0.evars.evar5']]);
      assert.match(f[0]!.value, /^256 bytes: /);
    });

    it('events with zero or non-numeric values; exponents count', () => {
      const d = {
        events: { event1: [{ count: 0, exponent: 0 }], event2: [{ count: 'abc' }], event3: [{ count: 1, exponent: 2 }], purchase: [{ count: 1 }] },
        products: [{ events: { event61: [{ count: 0 }] } }],
      };
      assert.deepEqual(badEvents(d).map((x) => [x.kind, x.field, x.value]), [
        ['zero', 'event1', '0'], ['non-numeric', 'event2', '[{"count":"abc"}]'], ['zero', 'products.0.events.event61', '0'],
      ]);
    });

    it('unknown top-level fields are schema drift; known ones are not', () => {
      assert.deepEqual(unknownFields({ pageName: 'x', geoCity: 'y', newAdobeField: 1 }).map((x) => x.field), ['newAdobeField']);
    });

    it('never throw on hostile values and stay bounded', () => {
      fc.assert(fc.property(fc.anything(), fc.string(), (v, key) => {
        const d = { evars: { evars: { evar1: v } }, props: v, events: v, products: [v], [key]: v } as Record<string, unknown>;
        personalData(d); longEvars(d); badEvents(d); unknownFields(d);
      }), { numRuns: 300 });
      // A 1 MB value of "@" and digits: only the first 64 KiB are scanned.
      const huge = '@1 '.repeat(350_000);
      assert.deepEqual(personalData({ props: { prop1: huge } }), []);
    });
  });

  describe('checking hits', () => {
    const text = `{
  ${NO_BUILTINS.replace('"personalData": false', '"personalData": "error"')},
  "rules": [
    { "id": "checkout-evar5", "when": "pageName~/^checkout:/", "expect": "has:evar5 -prop3~/@/", "severity": "error", "message": "Checkout sets eVar5, no @ in prop3" },
    { "id": "purchase-after-confirmation", "when": "pageName=checkout:confirmation", "expect": "purchase>0", "within": "2m", "severity": "error" }
  ]
}`;
    const visitor = (id: string, extra: Record<string, unknown>) => ({ visIdHigh: '1', visIdLow: id, ...extra });

    it('per-hit results: passed, failed with the exact field and value, not applicable', () => {
      const checker = new RulesChecker(rules(text), { clock: new FakeClock() });
      const good = checker.check(visitor('1', { pageName: 'checkout:shipping', evars: { evars: { evar5: 'x' } }, props: { prop3: 'ok' } }));
      assert.deepEqual(good.failed, []);
      assert.deepEqual(good.passed, ['personal-data', 'checkout-evar5']);
      const bad = checker.check(visitor('1', { pageName: 'checkout:shipping', props: { prop3: 'me@example.com' } }));
      assert.deepEqual(bad.failed.map((f) => [f.rule, f.kind, f.field, f.value]), [
        ['personal-data', 'email', 'prop3', 'me@example.com'],
        ['checkout-evar5', 'expect', 'evar5', '(absent)'],
      ]);
      assert.match(bad.failed[1]!.message, /Checkout sets eVar5.*failed: has:evar5/);
      const other = checker.check(visitor('1', { pageName: 'home' }));
      assert.deepEqual(other, { failed: [], passed: ['personal-data'], waiting: [] }, 'checkout-evar5 does not apply to home');
      const negated = checker.check(visitor('1', { pageName: 'checkout:x', evars: { evars: { evar5: 'x' } }, props: { prop3: 'a@b' } }));
      assert.deepEqual(negated.failed.map((f) => [f.rule, f.field, f.value]), [['checkout-evar5', 'prop3', 'a@b']]);
      assert.deepEqual(checker.tallies().map((t) => [t.rule, t.kind, t.count]), [
        ['personal-data', 'email', 1], ['checkout-evar5', 'expect', 2],
      ]);
      assert.equal(checker.stats.hitsChecked, 4);
      assert.equal(checker.stats.hitsFailing, 2);
      assert.equal(checker.stats.lastFailure?.rule, 'checkout-evar5');
    });

    it('"arrives within": satisfied by the same visitor in time, missing after the deadline (fake clock)', async () => {
      const clock = new FakeClock();
      const checker = new RulesChecker(rules(text), { clock });
      const confirm = (id: string) => visitor(id, { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } });
      const purchase = (id: string) => visitor(id, { pageName: 'thanks', events: { purchase: [{ count: 1 }] } });
      assert.deepEqual(checker.check(confirm('A')).waiting, ['purchase-after-confirmation']);
      const triggerB = checker.check(confirm('B'));
      assert.equal(checker.stats.pending, 2);
      await clock.advance(60_000);
      // Another visitor's purchase does not count for A or B.
      checker.check(purchase('C'));
      assert.equal(checker.stats.pending, 2);
      const r = checker.check(purchase('A'));
      assert.deepEqual(r.passed.includes('purchase-after-confirmation'), true);
      assert.equal(checker.stats.pending, 1);
      await clock.advance(59_999);
      assert.equal(checker.expire(), 0, 'B still has 1 ms');
      await clock.advance(2);
      assert.equal(checker.expire(), 1);
      const t = checker.tallies().find((x) => x.kind === 'missing')!;
      assert.deepEqual([t.rule, t.count, t.lastField, t.lastValue], ['purchase-after-confirmation', 1, 'visitor', '1:B']);
      // The trigger hit's own result now says so (what `rule:purchase-after-confirmation/missing` finds).
      assert.deepEqual(triggerB.waiting, []);
      assert.deepEqual(triggerB.failed.map((f) => [f.rule, f.kind, f.value]), [['purchase-after-confirmation', 'missing', '1:B']]);
      // A purchase after the deadline does not undo it.
      checker.check(purchase('B'));
      assert.equal(checker.tallies().find((x) => x.kind === 'missing')!.count, 1);
    });

    it('finish() counts triggers still waiting at the end of input as never arrived', () => {
      const checker = new RulesChecker(rules(text), { clock: new FakeClock() });
      checker.check(visitor('A', { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } }));
      assert.equal(typeof checker.lastDeadline(), 'number');
      assert.equal(checker.finish(), 1);
      assert.equal(checker.stats.pending, 0);
      assert.equal(checker.lastDeadline(), undefined);
    });

    it('waiting triggers are bounded: the oldest are evicted and counted', async () => {
      const clock = new FakeClock();
      const checker = new RulesChecker(rules(text), { clock, maxPending: 100 });
      for (let i = 0; i < 1000; i++) checker.check(visitor(String(i), { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } }));
      assert.equal(checker.stats.pending, 100);
      assert.equal(checker.stats.pendingDropped, 900);
      // The newest survive: visitor 999 can still satisfy its rule.
      checker.check(visitor('999', { events: { purchase: [{ count: 1 }] } }));
      assert.equal(checker.stats.pending, 99);
      // The oldest were evicted: visitor 0's purchase closes nothing.
      checker.check(visitor('0', { events: { purchase: [{ count: 1 }] } }));
      assert.equal(checker.stats.pending, 99);
      await clock.advance(121_000);
      assert.equal(checker.expire(), 99);
    });

    it('the demo stream contains violating hits of each built-in kind', () => {
      const gen = createHitGenerator({ seed: 7 });
      const checker = new RulesChecker(rules('{}'), { clock: new FakeClock() });
      const t0 = Date.UTC(2026, 11, 2);
      for (let i = 0; i < 400; i++) checker.check(parseRecord(gen.next(t0 + i * 100)) as Record<string, unknown>);
      const kinds = new Set(checker.tallies().map((t) => `${t.rule}/${t.kind}`));
      for (const k of ['personal-data/email', 'personal-data/card', 'personal-data/phone', 'evar-length/too-long', 'event-values/zero', 'unknown-fields/unknown-field']) {
        assert.equal(kinds.has(k), true, `no ${k} in ${[...kinds].join(', ')}`);
      }
      // …but most hits are clean.
      assert.equal(checker.stats.hitsFailing < checker.stats.hitsChecked / 4, true, `${checker.stats.hitsFailing} of ${checker.stats.hitsChecked} fail`);
    });
  });
});
