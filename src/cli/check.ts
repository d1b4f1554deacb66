/**
 * `livestream check`: hits from a stream (for a duration) or an NDJSON file
 * (to its end) checked against a rules file, a summary on stdout, JUnit XML
 * on request, and an exit code a CI pipeline can act on.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { compileFilter } from '../analytics/filter/compileFilter';
import { RulesChecker, describeTally, type RuleClock } from '../analytics/rules/checker';
import { formatDuration } from '../analytics/rules/duration';
import { parseRulesFile, RULES_LIMITS, type RuleSet, type Severity } from '../analytics/rules/ruleFile';
import { secondsToMs } from '../analytics/summary';
import { parseRecord } from '../shared/losslessJson';
import { RecordSplitter } from '../stream/recordSplitter';
import type { StoredHit } from '../shared/model';
import type { CheckArgs, TailArgs } from './args';
import { junitXml } from './junit';

/** Hits per second of `check --demo`: enough for the demo's violations to show within seconds. */
const DEMO_RATE = 20;
/** NDJSON records longer than this are skipped (and counted), like the engine's limit. */
const MAX_FILE_RECORD_BYTES = 4 * 1024 * 1024;

/** Where `check` reads hits from: the engine (--url, --demo) or a team relay's viewer (--relay), state lines already wired to stderr. */
export interface HitFeed {
  onHits(l: (hits: StoredHit[]) => void): unknown;
  /** Runs until stopped (or a permanent error). */
  start(): Promise<void>;
  stop(why: string): Promise<void>;
  /** Releases everything (the engine, a demo server, Redis connections). */
  close(): Promise<void>;
  /** After it stopped: the exit code of a permanent error or failed authentication, else undefined. */
  exitCode(): number | undefined;
}

export interface CheckDeps {
  /** The feed for --url/--demo/--relay, or an exit code for a configuration error (nothing sent). */
  openFeed(args: TailArgs, demoRate: number): Promise<HitFeed | number>;
  /** A line to stderr (secrets redacted, controls escaped). */
  err(line: string): void;
  safeText(text: string): string;
  setStatusOff(): void;
}

async function loadRules(path: string, deps: CheckDeps): Promise<RuleSet | undefined> {
  let text: string;
  try {
    const st = await fsp.stat(path);
    if (st.size > RULES_LIMITS.fileBytes) { deps.err(`livestream: ${path}: the rules file is over ${RULES_LIMITS.fileBytes / 1024} KiB`); return undefined; }
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    deps.err(`livestream: cannot read the rules file ${path}: ${(e as Error).message}`);
    return undefined;
  }
  const { set, errors } = parseRulesFile(text);
  if (errors.length) {
    for (const e of errors) deps.err(`${path}:${e.line + 1}:${e.column + 1}: error: ${e.message}`);
    deps.err(`livestream: ${errors.length} error${errors.length === 1 ? '' : 's'} in the rules file; nothing was checked`);
    return undefined;
  }
  return set;
}

/** Time for "arrives within" in a file: the latest hit time seen (timeGMT), so a file checks like the stream it recorded. */
class HitTimeClock implements RuleClock {
  private t = 0;
  now(): number { return this.t; }
  see(d: Record<string, unknown>): void {
    const ms = secondsToMs(d.timeGMT);
    if (ms !== undefined && ms > this.t) this.t = ms;
  }
}

export async function runCheck(args: CheckArgs, deps: CheckDeps): Promise<number> {
  const set = await loadRules(args.rules, deps);
  if (!set) return 2;
  if (set.rules.length === 0 && set.builtins.length === 0) {
    deps.err(`livestream: ${args.rules} has no rules and every built-in is off; nothing to check`);
    return 2;
  }
  let only: ((d: Record<string, unknown>) => boolean) | undefined;
  if (args.visitor) {
    const f = compileFilter('is:mine', { myTraffic: [args.visitor] });
    if (!f.ok) { deps.err(`livestream: --visitor: ${f.error.message}`); return 2; }
    only = (d) => f.filter.test(d);
  }
  const started = Date.now();
  const hitClock = new HitTimeClock();
  const checker = new RulesChecker(set, { clock: args.file ? hitClock : { now: () => Date.now() } });
  let skipped = 0;
  const check = (d: Record<string, unknown>) => {
    if (only && !only(d)) { skipped++; return; }
    hitClock.see(d);
    checker.check(d);
  };

  let code: number | undefined;
  if (args.file) {
    const bad = await readNdjson(args.file, check, deps);
    if (bad === undefined) return 2;
    if (bad.malformed || bad.oversized) deps.err(`warning: ${args.file}: ${bad.malformed} lines that are not JSON records and ${bad.oversized} over 4 MiB were skipped`);
  } else {
    const feed = await deps.openFeed({ ...args.stream, demo: args.stream.demo }, DEMO_RATE);
    if (typeof feed === 'number') return feed;
    feed.onHits((hits) => { for (const h of hits) check(h.data); });
    let stopping = false;
    const stop = (why: string) => { if (!stopping) { stopping = true; void feed.stop(why); } };
    const timers: NodeJS.Timeout[] = [];
    timers.push(setTimeout(() => {
      // Hits an "arrives within" rule still expects may come after the duration: wait for them, no longer than their deadline.
      const last = checker.lastDeadline();
      const wait = last === undefined ? 0 : Math.max(0, last - Date.now());
      if (wait > 0) {
        deps.err(`duration over; waiting up to ${formatDuration(wait)} for ${checker.stats.pending} expected hit${checker.stats.pending === 1 ? '' : 's'}`);
        timers.push(setTimeout(() => stop('Check finished.'), wait + 50));
      } else stop('Check finished.');
    }, args.durationMs));
    // Expire triggers as time passes, so the summary is right whenever the run stops.
    timers.push(setInterval(() => checker.expire(), 1000));
    const onSignal = () => stop('Stopped by a signal.');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await feed.start();
    for (const t of timers) clearTimeout(t);
    deps.setStatusOff();
    await feed.close();
    code = feed.exitCode();
    checker.expire();
  }
  checker.finish();

  const tallies = checker.tallies();
  const rules: { id: string; severity: Severity; message: string; withinMs?: number }[] = [
    ...set.builtins.map((b) => ({ id: b.id, severity: b.severity, message: b.message })),
    ...set.rules.map((r) => ({ id: r.id, severity: r.severity, message: r.message, withinMs: r.withinMs })),
  ];
  // Exit 1 (the issue): an error-severity rule failed, or an expected hit never arrived (whatever the rule's severity).
  const failedErrors = rules.filter((r) => tallies.some((t) => t.rule === r.id && (r.severity === 'error' || t.kind === 'missing')));
  const out: string[] = [];
  const s = checker.stats;
  out.push(`Checked ${s.hitsChecked} hit${s.hitsChecked === 1 ? '' : 's'}${skipped ? ` (${skipped} of other visitors skipped)` : ''} against ${rules.length} rules (${set.rules.length} from ${args.rules}, ${set.builtins.length} built-in): ${s.hitsFailing} failed a rule.`);
  for (const r of rules) {
    const ts = tallies.filter((t) => t.rule === r.id);
    if (ts.length === 0) { out.push(`  ok      ${r.id}`); continue; }
    for (const t of ts) out.push(`  ${r.severity.padEnd(8)}${r.id}/${t.kind}: ${deps.safeText(describeTally(t, r.withinMs))}`);
  }
  if (s.pendingDropped) out.push(`  note: ${s.pendingDropped} "arrives within" triggers were not followed (more than 10 000 waiting at once)`);
  out.push(failedErrors.length
    ? `FAILED: ${failedErrors.length} rule${failedErrors.length === 1 ? '' : 's'} failed (${failedErrors.map((r) => r.id).join(', ')})`
    : 'PASSED: no error-severity rule failed and every expected hit arrived');
  process.stdout.write(`${out.join('\n')}\n`);

  if (args.junit) {
    const failing = new Set(failedErrors.map((r) => r.id));
    const xml = junitXml({ rulesFile: args.rules, rules, failing, tallies, hitsChecked: s.hitsChecked, seconds: (Date.now() - started) / 1000, timestamp: new Date(started) });
    try {
      await fsp.writeFile(args.junit, xml, 'utf8');
    } catch (e) {
      deps.err(`livestream: cannot write ${args.junit}: ${(e as Error).message}`);
      return 2;
    }
  }
  if (code !== undefined) return code;
  return failedErrors.length ? 1 : 0;
}

/** Reads NDJSON hits to the end; undefined when the file cannot be read. */
async function readNdjson(path: string, onHit: (d: Record<string, unknown>) => void, deps: CheckDeps): Promise<{ malformed: number; oversized: number } | undefined> {
  let malformed = 0, oversized = 0;
  const splitter = new RecordSplitter({
    record: (text) => {
      let d: Record<string, unknown>;
      try { d = parseRecord(text); } catch { malformed++; return; }
      onHit(d);
    },
    oversized: () => { oversized++; },
  }, MAX_FILE_RECORD_BYTES);
  try {
    for await (const chunk of createReadStream(path)) splitter.push(chunk as Buffer);
    splitter.push(Buffer.from('\n'));
  } catch (e) {
    deps.err(`livestream: cannot read ${path}: ${(e as Error).message}`);
    return undefined;
  }
  return { malformed, oversized };
}
