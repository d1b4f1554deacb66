/**
 * Tracking-rules bench (issue 13): what checking a hit costs, against the
 * filter's most expensive ordinary term measured in the same run on the same
 * hits. The baseline is a free-text term (`"zzzz"`): it walks every value of
 * a hit once (flattenValues), as the personal-data check does. Each round
 * parses the demo records afresh, so neither side profits from caches.
 *
 *   node --import tsx scripts/bench/rulesBench.ts [--hits=20000] [--rounds=5] [--json]
 */
import { compileFilter } from '../../src/analytics/filter/compileFilter';
import { RulesChecker } from '../../src/analytics/rules/checker';
import { parseRulesFile } from '../../src/analytics/rules/ruleFile';
import { createHitGenerator } from '../../src/mock/hitGenerator';
import { parseRecord } from '../../src/shared/losslessJson';

const arg = (name: string, def: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const N = arg('hits', 20_000);
const ROUNDS = arg('rounds', 5);

const RULES = `{
  "rules": [
    { "id": "checkout-evar5", "when": "pageName~/^checkout:/ is:page", "expect": "has:evar5", "severity": "error" },
    { "id": "no-email-in-prop3", "expect": "-prop3~/@/", "severity": "warning" },
    { "id": "purchase-after-confirmation", "when": "pageName=checkout:confirmation", "expect": "purchase>0 products.revenue>0", "within": "2m", "severity": "error" }
  ]
}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const gen = createHitGenerator({ seed: 11 });
const texts = Array.from({ length: N }, (_, i) => gen.next(Date.UTC(2026, 11, 2) + i * 10));
const withUser = parseRulesFile(RULES).set;
const builtinsOnly = parseRulesFile('{}').set;
const userOnly = parseRulesFile(RULES.replace('{\n  "rules"', '{ "builtins": { "personalData": false, "evarLength": false, "eventValues": false, "unknownFields": false },\n  "rules"')).set;
const freeText = compileFilter('"zzzz"');
if (!freeText.ok) throw new Error('baseline filter');

const us = { baseline: [] as number[], all: [] as number[], builtins: [] as number[], user: [] as number[] };
const time = (fn: (d: Record<string, unknown>) => unknown): number => {
  const hits = texts.map((t) => parseRecord(t));
  const t0 = performance.now();
  for (const h of hits) fn(h);
  return ((performance.now() - t0) / N) * 1000;
};
let failing = 0;
for (let r = 0; r < ROUNDS; r++) {
  us.baseline.push(time((d) => freeText.filter.test(d)));
  const all = new RulesChecker(withUser, { clock: { now: () => 0 } });
  us.all.push(time((d) => all.check(d)));
  failing = all.stats.hitsFailing;
  const b = new RulesChecker(builtinsOnly, { clock: { now: () => 0 } });
  us.builtins.push(time((d) => b.check(d)));
  const u = new RulesChecker(userOnly, { clock: { now: () => 0 } });
  us.user.push(time((d) => u.check(d)));
}
const m = { baseline: median(us.baseline), all: median(us.all), builtins: median(us.builtins), user: median(us.user) };
const result = {
  hits: N, rounds: ROUNDS, hitsFailing: failing,
  usPerHit: m,
  ratios: { allOverFreeText: m.all / m.baseline, builtinsOverFreeText: m.builtins / m.baseline, userRulesOverFreeText: m.user / m.baseline },
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log(`tracking rules, ${N} demo hits, median of ${ROUNDS} rounds (µs per hit)`);
  console.log(`  baseline: free-text filter term  ${f(m.baseline)}`);
  console.log(`  built-ins only                   ${f(m.builtins)}   ×${(m.builtins / m.baseline).toFixed(2)}`);
  console.log(`  3 user rules only                ${f(m.user)}   ×${(m.user / m.baseline).toFixed(2)}`);
  console.log(`  built-ins + 3 user rules         ${f(m.all)}   ×${(m.all / m.baseline).toFixed(2)}   (${failing} of ${N} hits fail a rule)`);
}
