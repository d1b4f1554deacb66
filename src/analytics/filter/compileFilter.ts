/**
 * The filter language of the hits panel (the host uses it for export too).
 *
 * Terms are separated by whitespace and all must match (AND).
 *
 * | term                   | matches a hit when                                                   |
 * |------------------------|----------------------------------------------------------------------|
 * | `text`                 | any value anywhere in the hit contains `text`, ignoring case (keys are not searched) |
 * | `"text with spaces"`   | the same, for text with spaces or with `: = ~` in it                 |
 * | `field:value`          | the field contains `value`, ignoring case                            |
 * | `field=value`          | the field is exactly `value` (case-sensitive, whole value)           |
 * | `field~/regex/flags`   | a regular expression (JavaScript syntax, RE2 linear-time matching) matches the field |
 * | `field>n` `field>=n` `field<n` `field<=n` | some value of the field is a number (exact decimal) compared with `n` |
 * | `has:field`            | the field is present and not empty                                   |
 * | `is:mine`              | the hit is your own traffic (see below)                              |
 * | `is:page` `is:link` `is:commerce` `is:other` | the hit is of that type (same as `type=…`)     |
 * | `is:violation`         | the hit fails a tracking rule (needs `opts.ruleFailures`, see src/analytics/rules/) |
 * | `rule:id` `rule:id/kind` | the hit fails that rule (of that violation kind)                   |
 * | `-term`                | negates any term: `-pageName:home`, `-has:evar5`, `-"bot"`          |
 *
 * Values may be quoted: `pageName:"summer sale"`; inside quotes `\"` is a quote
 * and `\\` a backslash. Quote a free-text term that contains `:`, `=` or `~`
 * (`"http://example.com"`), or that starts with `-`.
 *
 * Field names ignore case:
 * - any top-level record field: `pageName`, `pageURL`, `reportSuite`, `visIdLow`,
 *   `geoCity`, or a field unknown today;
 * - `eVar5` / `evar5` / `campaign` look in `evars.evars`; `prop3` in `props`;
 * - `event12`, `purchase`, `scAdd`, `prodView`, `scView`, `scCheckout`,
 *   `scRemove`, `scOpen` compare the event's value (count × 10^exponent, e.g.
 *   `event12=17.99`), at hit level or in any product; `has:event12` is true
 *   when the event is present at all;
 * - `products.name`, `products.category`, `products.units`, `products.revenue`
 *   match when any product matches (revenue compares both the cents as sent,
 *   `1799`, and the amount, `17.99`);
 * - `type` is the hit type: `page`, `link`, `commerce` or `other`;
 * - a dotted path reaches anything else: `geoCity`, `evars.evars.evar5`,
 *   `mvvars.1.m.values`, `tnt.campaignId` (a path through an array matches
 *   any element; `products.0.name` picks one), `hierarchies["key with spaces"].values`.
 * Ids compare as the exact digit strings Adobe sent.
 *
 * `is:mine` matches hits whose visitor (visIdHigh:visIdLow, visIdLow,
 * mcVisIdHigh:mcVisIdLow or the 38-digit ECID, customVisId) or page host equals
 * an entry of the `liveStream.myTraffic` setting. An s_vi cookie value
 * (`[CS]v1|HIGHHEX-LOWHEX[CE]`) is accepted as a visitor id too.
 *
 * Regular expressions are written in JavaScript syntax but run by a linear-time
 * RE2 engine (userRegex.ts), so a test costs time proportional to the value's
 * length whatever the pattern: `(a+)+$` cannot backtrack. Backreferences and
 * lookaround are refused with an error naming them; flags `i`, `m`, `s` (and
 * `u`) work, `g`, `y`, `d` are ignored. Patterns are limited to 500 characters
 * and to a compiled RE2 program of 1000 instructions, MAX_PROGRAM (an error names the
 * too-expensive term), and only values up to 64 KiB are tested (a longer value
 * never matches a regex term).
 */
import { compareDec, parseDec, type Dec } from '../decimals';
import { flattenValues } from '../paths';
import { isRecord, type Rec } from '../recordAccess';
import { hitType, type HitType } from '../summary';
import { fieldAccess, type Pred } from './fieldAccess';
import { mineTerm } from './mineTerm';
import { compileUserRegex } from './userRegex';

export interface FilterError {
  message: string;
  /** Offending range in the filter text (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
}

export interface CompiledFilter {
  readonly source: string;
  /** No terms: every hit matches. */
  readonly isEmpty: boolean;
  test(data: Record<string, unknown>): boolean;
  /** The terms in source order, each testable alone: tracking rules report which term of `expect` failed. */
  readonly terms: readonly FilterTerm[];
}

/** One term of a compiled filter. */
export interface FilterTerm {
  /** The term's text as written (with its `-`). */
  readonly text: string;
  /** Offsets in the filter text (UTF-16, end exclusive). */
  readonly start: number;
  readonly end: number;
  /** The field the term reads (`evar5` for `has:evar5` and `evar5=x`; `type` for `is:page`); undefined for free text and `is:mine`. */
  readonly field?: string;
  readonly negate: boolean;
  test(d: Rec): boolean;
}

/** A failed rule of a hit, as `is:violation` and `rule:` see it (src/analytics/rules/). */
export interface RuleFailureRef { readonly rule: string; readonly kind: string }

/** Options of `compileFilter`. */
export interface FilterOptions {
  /** `liveStream.myTraffic`: what `is:mine` matches. */
  myTraffic?: readonly string[];
  /** The rule failures of a hit (its data object), for `is:violation` and `rule:`; without it those terms are errors. */
  ruleFailures?: (data: Rec) => readonly RuleFailureRef[] | undefined;
}

interface Term { cost: number; test: (d: Rec) => boolean; text: string; start: number; end: number; field?: string; negate: boolean }

const MAX_REGEX = 500;
const MAX_REGEX_SUBJECT = 64 * 1024;
const EMPTY: Rec = {};

const HIT_TYPES: readonly HitType[] = ['page', 'link', 'commerce', 'other'];

function isWs(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

// Lower-cased haystack of every value of a hit, built once per data object.
const allValuesCache = new WeakMap<object, string>();

function allValuesLower(d: Rec): string {
  let s = allValuesCache.get(d);
  if (s === undefined) {
    // NUL between values: a search term cannot match across two values.
    s = flattenValues(d).join('\u0000').toLowerCase();
    allValuesCache.set(d, s);
  }
  return s;
}

// ---------------------------------------------------------------------------
// Parsing

type Result<T> = { ok: true; value: T } | { ok: false; error: FilterError };

const fail = (message: string, start: number, end: number): { ok: false; error: FilterError } =>
  ({ ok: false, error: { message, start, end } });

function show(s: string): string {
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** Parses one term starting at `i` (not whitespace); returns the term and the index after it. */
/** `>`, `>=`, `<`, `<=` followed by a number at `i`: the operator's length, else 0 (then `<`/`>` are plain text, e.g. `<script>`). */
function comparisonAt(src: string, i: number): number {
  const c = src[i];
  if (c !== '>' && c !== '<') return 0;
  const len = src[i + 1] === '=' ? 2 : 1;
  return /^[+-]?(\d|\.\d)/.test(src.slice(i + len, i + len + 3)) ? len : 0;
}

function parseTerm(src: string, i: number, opts: { myTraffic: readonly string[]; ruleFailures?: FilterOptions['ruleFailures'] }): Result<{ term: Term; next: number }> {
  const myTraffic = opts.myTraffic;
  const n = src.length;
  const start = i;
  let negate = false;
  if (src[i] === '-') {
    negate = true;
    i++;
    if (i >= n || isWs(src[i])) return fail('"-" must be followed by a term, e.g. -pageName:home', start, i);
  }
  let text = '';        // decoded text: the whole term until an operator, then the value
  let rawField = '';    // source text before the operator (paths may quote keys)
  let op: ':' | '=' | '~' | '>' | '>=' | '<' | '<=' | undefined;
  let opPos = -1;
  let valueQuoted = false;
  let regex: { body: string; flags: string; start: number } | undefined;
  while (i < n && !isWs(src[i])) {
    const ch = src[i]!;
    if (ch === '"') {
      const q = i++;
      let s = '';
      while (i < n && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < n) { s += src[i + 1]; i += 2; } else { s += src[i]; i++; }
      }
      if (i >= n) return fail('Unterminated quote: add the closing "', q, n);
      i++;
      text += s;
      if (op === undefined) rawField += src.slice(q, i);
      else valueQuoted = true;
      continue;
    }
    const cmp = op === undefined && rawField !== '' ? comparisonAt(src, i) : 0;
    if (cmp > 0) {
      op = src.slice(i, i + cmp) as '>' | '>=' | '<' | '<=';
      opPos = i;
      i += cmp;
      text = '';
      continue;
    }
    if (op === undefined && (ch === ':' || ch === '=' || ch === '~')) {
      op = ch;
      opPos = i++;
      text = '';
      if (ch === '~') {
        if (i >= n || isWs(src[i])) return fail('Missing /pattern/ after "~", e.g. pageName~/^Home/i', start, i);
        if (src[i] !== '/') {
          let e = i;
          while (e < n && !isWs(src[e])) e++;
          return fail('Expected /pattern/flags after "~", e.g. pageName~/^Home/i', i, e);
        }
        const rs = i++;
        let body = '';
        let inClass = false;
        // The pattern ends at the first "/" that is neither escaped nor inside [...]; it may contain spaces.
        while (i < n) {
          const c = src[i]!;
          if (c === '\\') { body += src.slice(i, i + 2); i += 2; continue; }
          if (inClass) { if (c === ']') inClass = false; }
          else if (c === '[') inClass = true;
          else if (c === '/') break;
          body += c;
          i++;
        }
        if (i >= n) return fail('Unterminated regular expression: add the closing "/"', rs, n);
        i++;
        const fs = i;
        while (i < n && !isWs(src[i])) i++;
        regex = { body, flags: src.slice(fs, i), start: rs };
        break;
      }
      continue;
    }
    text += ch;
    if (op === undefined) rawField += ch;
    i++;
  }
  const end = i;
  let field: string | undefined;
  const wrap = (test: (d: Rec) => boolean, cost: number): Result<{ term: Term; next: number }> =>
    ({ ok: true, value: { term: { cost, test: negate ? (d) => !test(d) : test, text: src.slice(start, end), start, end, field, negate }, next: end } });

  if (op === undefined) {
    const needle = text.toLowerCase();
    return wrap((d) => allValuesLower(d).includes(needle), 4);
  }
  if (rawField === '') return fail(`Empty field name before "${op}"`, start, opPos + 1);
  const fieldLower = rawField.toLowerCase();
  const valueRaw = src.slice(opPos + op.length, end);

  if (op === ':' && fieldLower === 'has') {
    if (valueRaw === '') return fail('"has:" needs a field name, e.g. has:evar5', start, end);
    const access = fieldAccess(valueRaw);
    if (!access) return fail(`Invalid field name "${show(valueRaw)}"`, opPos + 1, end);
    field = valueRaw;
    return wrap((d) => access.has(d), 1);
  }
  if (op === ':' && fieldLower === 'rule') {
    const lookup = opts.ruleFailures;
    if (!lookup) return fail('"rule:" needs tracking rules (a livestream-rules.json in the workspace)', start, end);
    if (text === '') return fail('"rule:" needs a rule id, e.g. rule:checkout-evar5 or rule:personal-data/email', start, end);
    const slash = text.indexOf('/');
    const id = slash < 0 ? text : text.slice(0, slash);
    const kind = slash < 0 ? undefined : text.slice(slash + 1);
    return wrap((d) => {
      const f = lookup(d);
      if (!f) return false;
      for (const x of f) if (x.rule === id && (kind === undefined || x.kind === kind)) return true;
      return false;
    }, 2);
  }
  if (op === ':' && fieldLower === 'is') {
    const what = text.toLowerCase();
    if (what === 'violation') {
      const lookup = opts.ruleFailures;
      if (!lookup) return fail('"is:violation" needs tracking rules (a livestream-rules.json in the workspace)', start, end);
      return wrap((d) => (lookup(d)?.length ?? 0) > 0, 2);
    }
    if (what === 'mine') {
      if (myTraffic.length === 0) return fail('Set liveStream.myTraffic to use is:mine', start, end);
      return wrap(mineTerm(myTraffic), 2);
    }
    if ((HIT_TYPES as readonly string[]).includes(what)) { field = 'type'; return wrap((d) => hitType(d) === what, 2); }
    return fail(`Unknown "is:${show(text)}": use is:mine, is:page, is:link, is:commerce or is:other`, start, end);
  }

  const access = fieldAccess(rawField);
  if (!access) return fail(`Invalid field name "${show(rawField)}"`, negate ? start + 1 : start, opPos);
  field = rawField;

  if (op === '>' || op === '>=' || op === '<' || op === '<=') {
    const want = parseDec(text);
    if (!want) return fail(`"${op}" needs a number, e.g. purchase>0 or products.revenue>=10.5`, opPos + op.length, end);
    const pred = comparePred(op, want);
    return wrap((d) => access.any(d, pred), 1);
  }

  if (op === '~') {
    const r = regex!;
    if (r.body.length > MAX_REGEX) return fail(`Regular expression too long (${r.body.length} characters; the limit is ${MAX_REGEX})`, r.start, end);
    // Linear-time RE2 engine (see userRegex.ts): no pattern can make a test backtrack.
    const c = compileUserRegex(r.body, r.flags, `"${show(src.slice(start, end))}"`);
    if (!c.ok) {
      const e = c.error;
      if (e.tooExpensive) return fail(e.message, start, end);
      // Offsets inside the pattern: the body starts one after the opening "/".
      if (e.start !== undefined) return fail(e.message, r.start + 1 + e.start, r.start + 1 + (e.end ?? e.start));
      return fail(e.message, r.start, end);
    }
    const re = c.regex;
    const pred: Pred = (s) => s.length <= MAX_REGEX_SUBJECT && re.test(s);
    return wrap((d) => access.any(d, pred), 3);
  }
  if (text === '' && !valueQuoted) return fail(`Missing value after "${show(rawField)}${op}" (quote it to match an empty value: ${show(rawField)}${op}"")`, start, end);
  if (op === '=') {
    const want = text;
    const pred: Pred = (s) => s === want;
    return wrap((d) => access.any(d, pred), 1);
  }
  // Predicates are built once here, not per hit.
  const needle = text.toLowerCase();
  const pred: Pred = needle === '' ? () => true : (s) => s.toLowerCase().includes(needle);
  return wrap((d) => access.any(d, pred), 1);
}

/**
 * Compiles filter text (language above) into a predicate over hit data, or
 * returns the first error with its position. Never throws. `opts.myTraffic`
 * lists the visitor ids and hosts that `is:mine` matches.
 */
export function compileFilter(
  text: string,
  opts?: FilterOptions,
): { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError } {
  const src = typeof text === 'string' ? text : '';
  const raw = opts?.myTraffic;
  const myTraffic = Array.isArray(raw)
    ? raw.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter((x) => x !== '').slice(0, 10_000)
    : [];
  const terms: Term[] = [];
  let i = 0;
  for (;;) {
    while (i < src.length && isWs(src[i])) i++;
    if (i >= src.length) break;
    const r = parseTerm(src, i, { myTraffic, ruleFailures: typeof opts?.ruleFailures === 'function' ? opts.ruleFailures : undefined });
    if (!r.ok) return { ok: false, error: r.error };
    terms.push(r.value.term);
    i = r.value.next;
  }
  const inOrder: FilterTerm[] = terms.map((t) => ({ text: t.text, start: t.start, end: t.end, field: t.field, negate: t.negate, test: t.test }));
  // AND is order-independent and terms are pure: test cheap field lookups before
  // the free-text haystack, which costs a walk of the whole hit the first time.
  terms.sort((a, b) => a.cost - b.cost);
  const tests = terms.map((t) => t.test);
  const count = tests.length;
  const filter: CompiledFilter = {
    source: src,
    isEmpty: count === 0,
    terms: inOrder,
    test(data: Record<string, unknown>): boolean {
      const d = isRecord(data) ? data : EMPTY;
      for (let k = 0; k < count; k++) if (!tests[k]!(d)) return false;
      return true;
    },
  };
  return { ok: true, filter };
}

/** A value test for a comparison term: the value read as an exact decimal (non-numbers never match). */
function comparePred(op: '>' | '>=' | '<' | '<=', want: Dec): Pred {
  return (s) => {
    const v = parseDec(s);
    if (!v) return false;
    const c = compareDec(v, want);
    return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
  };
}
