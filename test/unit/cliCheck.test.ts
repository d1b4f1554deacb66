import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { MockLiveStreamServer } from '../../src/mock/mockServer';
import { buildCli, runCli, type CliRun } from '../support/cliRun';
import { RedisServer } from '../support/redisServer';
import { until } from '../support/engineHelpers';

const fixture = readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8').replace(/\r?\n\s*/g, ' ');

const RULES = `{
  // the worked example of the README
  "builtins": { "unknownFields": false },
  "rules": [
    { "id": "checkout-evar5", "when": "pageName~/^checkout:/", "expect": "has:evar5", "severity": "error", "message": "Checkout pages set eVar5" },
    { "id": "purchase-after-confirmation", "when": "pageName=checkout:confirmation", "expect": "purchase>0", "within": "2m", "severity": "error" },
    { "id": "no-markup-in-page-names", "expect": "-pageName~/</", "severity": "warning", "message": "Page names carry no markup" }
  ]
}
`;

const T0 = 1_764_650_000; // seconds
const hit = (visitor: string, t: number, extra: Record<string, unknown>) => JSON.stringify({ visIdHigh: 1, visIdLow: visitor, timeGMT: T0 + t, ...extra });

describe('CLI check (dist/cli.js): rules against an NDJSON file and the mock stream', function () {
  this.timeout(60_000);
  let dir: string;
  const runs: CliRun[] = [];
  const check = (args: string[]) => { const r = runCli(['check', ...args]); runs.push(r); return r; };
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

  before(() => buildCli());
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lsi-check-')); });
  afterEach(() => {
    for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a file with violations: exit 1, a summary per rule and kind, and well-formed JUnit with the escaped hostile value', async () => {
    const hostile = '<b onmouseover="x">&\'\u0001\u202e</b>';
    const hits = [
      fixture,
      hit('10', 0, { pageName: 'checkout:shipping' }),                                         // no eVar5: error
      hit('11', 1, { pageName: 'home', props: { prop3: 'mail me: jane@example.com' } }),       // personal data: error
      hit('A', 2, { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } }),    // A: purchase follows in time
      hit('A', 32, { pageName: 'thanks', events: { purchase: [{ count: 1, exponent: 0 }] } }),
      hit('B', 40, { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } }),   // B: never buys
      hit('C', 400, { pageName: hostile }),                                                    // hit time moves past B's deadline
      '{ not json',
    ].join('\n');
    const junit = join(dir, 'out.xml');
    const r = check(['--rules', write('rules.json', RULES), '--file', write('hits.ndjson', hits), '--junit', junit]);
    assert.equal(await r.exit, 1, r.stderr());
    const out = r.stdout();
    assert.match(out, /^Checked 7 hits against 6 rules \(3 from .*rules\.json, 3 built-in\): 3 failed a rule\./);
    assert.match(out, /error {3}checkout-evar5\/expect: 1× Checkout pages set eVar5; last at 2025-12-02T04:33:20\.000Z: evar5 = \(absent\)/);
    assert.match(out, /error {3}personal-data\/email: 1× E-mail address; .*: prop3 = jane@example.com/);
    assert.match(out, /error {3}purchase-after-confirmation\/missing: 1× never arrived within 2m: .*visitor = 1:B/);
    assert.match(out, /ok {6}evar-length/);
    // Control and bidi characters from a hit reach the terminal as visible escapes.
    assert.ok(!out.includes('\u202e') && !out.includes('\u0001'), 'no raw controls on stdout');
    assert.match(out, /FAILED: 3 rules failed \(personal-data, checkout-evar5, purchase-after-confirmation\)/);
    assert.match(r.stderr(), /1 lines that are not JSON records/);

    const xml = readFileSync(junit, 'utf8');
    const doc = await parseStringPromise(xml, { strict: true }) as {
      testsuites: { $: Record<string, string>; testsuite: { $: Record<string, string>; properties: { property: { $: Record<string, string> }[] }[]; testcase: { $: { name: string; classname: string }; failure?: { _: string; $: { message: string; type: string } }[]; 'system-out'?: string[] }[] }[] };
    };
    const suite = doc.testsuites.testsuite[0]!;
    assert.equal(doc.testsuites.$.tests, '6');
    assert.equal(doc.testsuites.$.failures, '3');
    assert.deepEqual(suite.properties[0]!.property.map((p) => [p.$.name, p.$.value]), [['hitsChecked', '7']]);
    const cases = new Map(suite.testcase.map((c) => [c.$.name, c]));
    assert.deepEqual([...cases.keys()], ['personal-data', 'evar-length', 'event-values', 'checkout-evar5', 'purchase-after-confirmation', 'no-markup-in-page-names']);
    assert.equal(cases.get('evar-length')!.failure, undefined);
    assert.equal(cases.get('checkout-evar5')!.failure![0]!.$.type, 'expect');
    assert.match(cases.get('checkout-evar5')!.failure![0]!.$.message, /^1 violation: Checkout pages set eVar5$/);
    assert.match(cases.get('purchase-after-confirmation')!.failure![0]!._, /^missing: 1× never arrived within 2m/);
    // The warning is reported, not failed, and its hostile value comes back exactly (the control character as a visible escape).
    const warn = cases.get('no-markup-in-page-names')!;
    assert.equal(warn.failure, undefined);
    assert.ok(warn['system-out']![0]!.includes('pageName = <b onmouseover="x">&\'\\u0001\u202e</b>'), warn['system-out']![0]);
  });

  it('a clean file: exit 0, "PASSED", JUnit without failures', async () => {
    const hits = [fixture, hit('A', 0, { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } }), hit('A', 10, { events: { purchase: [{ count: 1 }] } })].join('\n');
    const junit = join(dir, 'ok.xml');
    const r = check(['--rules', write('rules.json', RULES), '--file', write('hits.ndjson', `${hits}\n`), '--junit', junit]);
    assert.equal(await r.exit, 0, r.stdout() + r.stderr());
    assert.match(r.stdout(), /PASSED: no error-severity rule failed and every expected hit arrived/);
    const doc = await parseStringPromise(readFileSync(junit, 'utf8')) as { testsuites: { $: { failures: string } } };
    assert.equal(doc.testsuites.$.failures, '0');
  });

  it('an expected hit that never arrives fails the check even for a warning-severity rule', async () => {
    const rules = RULES.replace('"within": "2m", "severity": "error"', '"within": "2m", "severity": "warning"');
    const hits = [hit('A', 0, { pageName: 'checkout:confirmation', evars: { evars: { evar5: 'x' } } })].join('\n');
    const junit = join(dir, 'w.xml');
    const r = check(['--rules', write('rules.json', rules), '--file', write('hits.ndjson', hits), '--junit', junit]);
    assert.equal(await r.exit, 1, r.stdout());
    assert.match(r.stdout(), /warning {1}purchase-after-confirmation\/missing: 1× never arrived within 2m/);
    assert.match(r.stdout(), /FAILED: 1 rule failed \(purchase-after-confirmation\)/);
    const doc = await parseStringPromise(readFileSync(junit, 'utf8')) as { testsuites: { $: { failures: string }; testsuite: { testcase: { $: { name: string }; failure?: unknown[] }[] }[] } };
    assert.equal(doc.testsuites.$.failures, '1');
    assert.ok(doc.testsuites.testsuite[0]!.testcase.find((c) => c.$.name === 'purchase-after-confirmation')!.failure);
  });

  it('--visitor checks only that visitor\'s hits', async () => {
    const hits = [hit('10', 0, { pageName: 'checkout:shipping' }), hit('20', 1, { pageName: 'checkout:shipping', evars: { evars: { evar5: 'y' } } })].join('\n');
    const r = check(['--rules', write('rules.json', RULES), '--file', write('hits.ndjson', hits), '--visitor', '1:20']);
    assert.equal(await r.exit, 0, r.stdout());
    assert.match(r.stdout(), /Checked 1 hit \(1 of other visitors skipped\)/);
  });

  it('exit 2 for an invalid rules file (file:line:col) and for bad arguments; no JUnit written', async () => {
    const bad = write('bad.json', '{\n  "rules": [\n    { "id": "x", "expect": "evar5~/(a/" }\n  ]\n}');
    const junit = join(dir, 'never.xml');
    const r = check(['--rules', bad, '--file', write('h.ndjson', fixture), '--junit', junit]);
    assert.equal(await r.exit, 2);
    assert.match(r.stderr(), /bad\.json:3:\d+: error: "expect": /);
    assert.match(r.stderr(), /nothing was checked/);
    assert.equal(existsSync(junit), false);
    for (const [args, msg] of [
      [['--file', 'x.ndjson'], /needs --rules/],
      [['--rules', bad, '--file', 'x', '--demo'], /exactly one of --url URL, --demo, --relay REDIS_URL or --file/],
      [['--rules', bad, '--file', 'x', '--duration', '5m'], /--duration applies to a stream/],
      [['--rules', bad, '--demo', '--duration', 'soon'], /--duration must be from 1s to 24h/],
    ] as const) {
      const u = check([...args]);
      assert.equal(await u.exit, 2, args.join(' '));
      assert.match(u.stderr(), msg);
    }
    const missing = check(['--rules', join(dir, 'nope.json'), '--file', 'x']);
    assert.equal(await missing.exit, 2);
    assert.match(missing.stderr(), /cannot read the rules file/);
  });

  it('against the mock over loopback for a duration: the demo stream\'s violations fail the check (exit 1)', async () => {
    const mock = await MockLiveStreamServer.start({ rate: 100 });
    try {
      const junit = join(dir, 'live.xml');
      const r = check(['--rules', write('rules.json', '{ "builtins": { "unknownFields": "error" } }'), '--url', mock.streamUrl, '--duration', '3s',
        '--state-dir', dir, '--cooldown', '0', '--junit', junit]);
      assert.equal(await r.exit, 1, r.stderr());
      const m = /^Checked (\d+) hits/.exec(r.stdout());
      assert.ok(m && Number(m[1]) >= 100, r.stdout());
      assert.match(r.stdout(), /error {3}personal-data\/email: \d+× E-mail address; .*prop9 = jane\.doe@example\.com/);
      assert.match(r.stdout(), /error {3}unknown-fields\/unknown-field: .*experimentalField = "on"/);
      const doc = await parseStringPromise(readFileSync(junit, 'utf8')) as { testsuites: { $: { failures: string } } };
      assert.equal(doc.testsuites.$.failures, '2');
    } finally {
      await mock.close();
    }
  });

  it('--demo without built-ins and a rule the demo satisfies: exit 0', async () => {
    const rules = `{ ${'"builtins": { "personalData": false, "evarLength": false, "eventValues": false, "unknownFields": false }'},
      "rules": [ { "id": "suite", "expect": "has:reportSuite", "severity": "error" } ] }`;
    const r = check(['--rules', write('rules.json', rules), '--demo', '--duration', '2s', '--state-dir', dir]);
    assert.equal(await r.exit, 0, r.stdout() + r.stderr());
    assert.match(r.stdout(), /ok {6}suite/);
  });

  it('--relay: the hits a team relay published (real redis-server, relay --demo), from the start of the stream; the demo\'s violations fail the check', async () => {
    const redis = await RedisServer.start();
    const relay = runCli(['relay', '--demo', '--redis', redis.url, '--key', 'livestream:team', '--state-dir', dir]);
    runs.push(relay);
    try {
      // The demo breaks a rule in every 17th hit: let the relay publish a few dozen first.
      const client = redis.client();
      let published = 0;
      await until(async () => (published = await client.xlen('livestream:team')) >= 30, 30_000, `30 published hits (${published})`);
      const r = check(['--rules', write('rules.json', '{ "builtins": { "personalData": "error" } }'), '--relay', redis.url, '--key', 'livestream:team', '--from-start', '--duration', '2s']);
      assert.equal(await r.exit, 1, r.stdout() + r.stderr());
      const m = /^Checked (\d+) hits/.exec(r.stdout());
      assert.ok(m && Number(m[1]) >= 17, r.stdout());
      assert.match(r.stdout(), /error {3}personal-data\//);
      assert.match(r.stderr(), /via relay livestream:team/);
      // A bad key is a usage error, before anything is read.
      const bad = check(['--rules', write('rules2.json', '{}'), '--relay', redis.url, '--key', 'no spaces allowed', '--duration', '1s']);
      assert.equal(await bad.exit, 2, bad.stderr());
    } finally {
      relay.kill('SIGINT');
      await relay.exit;
      await redis.stop();
    }
  });
});

