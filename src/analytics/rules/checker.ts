/**
 * Checks hits against a compiled rule set as they arrive: pure (no I/O, no
 * timers of its own; time comes from an injected clock), with bounded cost
 * per hit (the compiled filter terms of each rule, the built-in detectors'
 * bounded scans) and bounded memory (the tallies are per rule and kind; the
 * "arrives within" triggers still waiting are at most `maxPending`, the
 * oldest evicted first and counted).
 *
 * The extension host, the CLI's `check` and the tests run this same code.
 */
import type { FilterTerm } from '../filter/compileFilter';
import { fieldAccess } from '../filter/fieldAccess';
import { isRecord, own, type Rec } from '../recordAccess';
import { secondsToMs, visitorText } from '../summary';
import { badEvents, longEvars, personalData, unknownFields, type Finding } from './detectors';
import { formatDuration } from './duration';
import type { Builtin, BuiltinId, FileRange, Rule, RuleSet, Severity } from './ruleFile';

/** Time source: `Date` in production, a fake clock in tests. */
export interface RuleClock { now(): number }

/** One rule a hit failed, and why: the exact field and its value. */
export interface RuleFailure {
  rule: string;
  /** 'expect' (a term of `expect` failed), or a built-in's kind: 'email', 'card', 'phone', 'too-long', 'zero', 'non-numeric', 'unknown-field'. */
  kind: string;
  severity: Severity;
  /** The field (filter-language name or path); '' for a free-text term. */
  field: string;
  /** The offending value (capped), '(absent)' when the field is missing. */
  value: string;
  /** The rule's message plus the failing term. */
  message: string;
}

/** What the rules said about one hit. */
export interface HitRuleResult {
  failed: RuleFailure[];
  /** Rules that applied to this hit and passed (built-ins always apply). */
  passed: string[];
  /** "Arrives within" rules this hit triggered: a matching hit of its visitor is now awaited. */
  waiting: string[];
}

/** Violations of one rule and kind so far (one diagnostic each). */
export interface RuleTally {
  rule: string;
  kind: string;
  severity: Severity;
  message: string;
  count: number;
  /** Time of the last offending hit (its timeGMT, else when it arrived), ms since epoch. */
  lastAt: number;
  lastField: string;
  lastValue: string;
  /** Where the rule is in the rules file. */
  at: FileRange;
}

export interface CheckerStats {
  hitsChecked: number;
  hitsFailing: number;
  lastFailure?: { at: number; rule: string; kind: string; field: string };
  /** "Arrives within" triggers still waiting. */
  pending: number;
  /** Triggers evicted (oldest first) because more than `maxPending` were waiting: not checked. */
  pendingDropped: number;
}

export const DEFAULT_MAX_PENDING = 10_000;
const MAX_FAILURES_PER_HIT = 20;
const MAX_VALUE_CHARS = 120;

interface Pending {
  visitor: string; deadline: number; triggerAt: number; open: boolean; order: number;
  /** The trigger hit's result: gains a 'missing' failure when the time is up (so `rule:<id>/missing` finds the trigger). */
  result: HitRuleResult;
}

interface WithinState {
  queue: Pending[];
  head: number;
  /** Open triggers per visitor. */
  open: Map<string, number>;
}

const cap = (s: string): string => (s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s);

/** The current value(s) of a term's field, for "why": up to 3 values, '(absent)' when there is none. */
function actualValue(term: FilterTerm, d: Rec): string {
  if (term.field === undefined) return '';
  const access = fieldAccess(term.field);
  if (!access) return '';
  const values: string[] = [];
  access.any(d, (s) => { values.push(s); return values.length >= 3; });
  return values.length ? cap(values.join(', ')) : '(absent)';
}

function hitTime(d: Rec, fallback: number): number {
  return secondsToMs(own(d, 'timeGMT')) ?? fallback;
}

export class RulesChecker {
  readonly stats: CheckerStats = { hitsChecked: 0, hitsFailing: 0, pending: 0, pendingDropped: 0 };
  /** Bumped whenever a tally changes: the host redraws diagnostics only then. */
  version = 0;
  private readonly tallyMap = new Map<string, RuleTally>();
  private readonly within = new Map<Rule, WithinState>();
  private readonly maxPending: number;
  private order = 0;

  constructor(readonly set: RuleSet, private readonly opts: { clock: RuleClock; maxPending?: number }) {
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING);
    for (const r of set.rules) if (r.withinMs !== undefined) this.within.set(r, { queue: [], head: 0, open: new Map() });
  }

  /** Number of rules checked (user rules and built-ins that are on). */
  get ruleCount(): number { return this.set.rules.length + this.set.builtins.length; }

  /** Checks one hit (its parsed data); expired "arrives within" triggers are counted first. Never throws on hostile data. */
  check(data: Record<string, unknown>): HitRuleResult {
    const d: Rec = isRecord(data) ? data : {};
    const now = this.opts.clock.now();
    this.expire(now);
    const result: HitRuleResult = { failed: [], passed: [], waiting: [] };
    const at = hitTime(d, now);
    for (const b of this.set.builtins) this.runBuiltin(b, d, at, result);
    for (const r of this.set.rules) {
      if (r.withinMs !== undefined) this.runWithin(r, d, now, at, result);
      else this.runRule(r, d, at, result);
    }
    this.stats.hitsChecked++;
    if (result.failed.length) {
      this.stats.hitsFailing++;
      const f = result.failed[0]!;
      this.stats.lastFailure = { at, rule: f.rule, kind: f.kind, field: f.field };
    }
    return result;
  }

  /** Counts the "arrives within" triggers whose time is up as never arrived. Returns how many expired. */
  expire(now: number = this.opts.clock.now()): number {
    let n = 0;
    for (const [rule, st] of this.within) {
      while (st.head < st.queue.length) {
        const p = st.queue[st.head]!;
        if (p.open && p.deadline > now) break;
        if (p.open) { this.close(st, p); this.missing(rule, p); n++; }
        st.head++;
      }
      this.compact(st);
    }
    return n;
  }

  /** End of input (the CLI's file or duration is over): every trigger still waiting counts as never arrived. */
  finish(): number {
    let n = 0;
    for (const [rule, st] of this.within) {
      for (let i = st.head; i < st.queue.length; i++) {
        const p = st.queue[i]!;
        if (p.open) { this.close(st, p); this.missing(rule, p); n++; }
      }
      st.queue = [];
      st.head = 0;
    }
    return n;
  }

  /** The latest deadline of a waiting trigger, if any (the CLI waits until then after its duration). */
  lastDeadline(): number | undefined {
    let max: number | undefined;
    for (const st of this.within.values()) {
      for (let i = st.queue.length - 1; i >= st.head; i--) {
        const p = st.queue[i]!;
        if (p.open) { if (max === undefined || p.deadline > max) max = p.deadline; break; }
      }
    }
    return max;
  }

  /** Violations so far, one per rule and kind, in rules-file order. */
  tallies(): RuleTally[] {
    return [...this.tallyMap.values()].sort((a, b) => a.at.offset - b.at.offset || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  }

  private tally(rule: { id: string; severity: Severity; message: string; at: FileRange }, kind: string, at: number, field: string, value: string): void {
    const key = `${rule.id}\u0000${kind}`;
    let t = this.tallyMap.get(key);
    if (!t) {
      t = { rule: rule.id, kind, severity: rule.severity, message: rule.message, count: 0, lastAt: at, lastField: field, lastValue: value, at: rule.at };
      this.tallyMap.set(key, t);
    }
    t.count++;
    if (at >= t.lastAt || t.count === 1) { t.lastAt = at; t.lastField = field; t.lastValue = value; }
    this.version++;
  }

  private fail(result: HitRuleResult, rule: { id: string; severity: Severity; message: string; at: FileRange }, kind: string, at: number, field: string, value: string, message: string): void {
    this.tally(rule, kind, at, field, value);
    if (result.failed.length < MAX_FAILURES_PER_HIT) result.failed.push({ rule: rule.id, kind, severity: rule.severity, field, value: cap(value), message });
  }

  private runBuiltin(b: Builtin, d: Rec, at: number, result: HitRuleResult): void {
    const findings = BUILTIN_CHECKS[b.id](d);
    if (findings.length === 0) { result.passed.push(b.id); return; }
    for (const f of findings) this.fail(result, b, f.kind, at, f.field, f.value, `${KIND_LABEL[f.kind] ?? b.message}: ${f.field}`);
  }

  /** The first failing term of `expect` (all groups), or undefined when the hit satisfies it. */
  private failingTerm(r: Rule, d: Rec): FilterTerm | undefined {
    for (const g of r.expect) for (const t of g.terms) if (!t.test(d)) return t;
    return undefined;
  }

  private runRule(r: Rule, d: Rec, at: number, result: HitRuleResult): void {
    if (!r.when.test(d)) return;
    const t = this.failingTerm(r, d);
    if (!t) { result.passed.push(r.id); return; }
    this.fail(result, r, 'expect', at, t.field ?? '', actualValue(t, d), `${r.message} (failed: ${t.text})`);
  }

  private runWithin(r: Rule, d: Rec, now: number, at: number, result: HitRuleResult): void {
    const st = this.within.get(r)!;
    const visitor = visitorText(d);
    // An awaited hit: it closes every open trigger of its visitor for this rule.
    if ((st.open.get(visitor) ?? 0) > 0 && !this.failingTerm(r, d)) {
      for (let i = st.head; i < st.queue.length; i++) {
        const p = st.queue[i]!;
        if (p.open && p.visitor === visitor) this.close(st, p);
      }
      result.passed.push(r.id);
    }
    if (r.when.test(d)) {
      st.queue.push({ visitor, deadline: now + r.withinMs!, triggerAt: at, open: true, order: this.order++, result });
      st.open.set(visitor, (st.open.get(visitor) ?? 0) + 1);
      this.stats.pending++;
      result.waiting.push(r.id);
      if (this.stats.pending > this.maxPending) this.evictOldest();
    }
  }

  private close(st: WithinState, p: Pending): void {
    p.open = false;
    this.stats.pending--;
    const n = (st.open.get(p.visitor) ?? 1) - 1;
    if (n <= 0) st.open.delete(p.visitor); else st.open.set(p.visitor, n);
  }

  private missing(r: Rule, p: Pending): void {
    const value = p.visitor || '(no visitor id)';
    this.tally(r, 'missing', p.triggerAt, 'visitor', value);
    const res = p.result;
    res.waiting = res.waiting.filter((id) => id !== r.id);
    if (res.failed.length < MAX_FAILURES_PER_HIT) {
      res.failed.push({ rule: r.id, kind: 'missing', severity: r.severity, field: 'visitor', value: cap(value), message: `${r.message} (nothing arrived within ${formatDuration(r.withinMs ?? 0)})` });
    }
  }

  private evictOldest(): void {
    let oldest: { st: WithinState; p: Pending } | undefined;
    for (const st of this.within.values()) {
      // Closed triggers at the head are garbage: skip them for good.
      while (st.head < st.queue.length && !st.queue[st.head]!.open) st.head++;
      const p = st.queue[st.head];
      if (p && (!oldest || p.order < oldest.p.order)) oldest = { st, p };
      this.compact(st);
    }
    if (!oldest) return;
    this.close(oldest.st, oldest.p);
    this.stats.pendingDropped++;
  }

  private compact(st: WithinState): void {
    if (st.head > 1024 && st.head * 2 > st.queue.length) {
      st.queue = st.queue.slice(st.head);
      st.head = 0;
    }
  }
}

const BUILTIN_CHECKS: Readonly<Record<BuiltinId, (d: Rec) => Finding[]>> = {
  'personal-data': personalData,
  'evar-length': longEvars,
  'event-values': badEvents,
  'unknown-fields': unknownFields,
};

/** Words for each violation kind (diagnostics, the panel, the CLI). */
export const KIND_LABEL: Readonly<Record<string, string>> = {
  email: 'E-mail address',
  card: 'Card number (passes Luhn)',
  phone: 'Phone number',
  'too-long': 'eVar over 255 bytes',
  zero: 'Event with value 0',
  'non-numeric': 'Event with a non-numeric value',
  'unknown-field': 'Unknown field',
  expect: 'Expectation failed',
  missing: 'Expected hit never arrived',
};

/** One line for a tally: "3× Checkout pages set eVar5; last at 2026-…Z: evar5 = (absent)". */
export function describeTally(t: RuleTally, withinMs?: number): string {
  const what = t.kind === 'missing'
    ? `never arrived${withinMs ? ` within ${formatDuration(withinMs)}` : ''}: ${t.message}`
    : t.kind === 'expect' ? t.message : KIND_LABEL[t.kind] ?? t.kind;
  const value = t.lastField ? `${t.lastField} = ${t.lastValue}` : t.lastValue;
  return `${t.count}× ${what}; last at ${new Date(t.lastAt).toISOString()}${value ? `: ${value}` : ''}`;
}
