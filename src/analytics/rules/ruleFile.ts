/**
 * The tracking-rules file (`.vscode/livestream-rules.json` or
 * `livestream-rules.json`): parsed with positions, so every error and every
 * rule has a line and column in the file (the Problems panel puts diagnostics
 * there, the CLI prints `file:line:col`). `when` and `expect` are compiled by
 * the filter language's own `compileFilter`, with filter errors mapped back
 * into the file through the JSON string's escapes.
 *
 * The file is workspace content, so untrusted: its size, the number of rules
 * and every string are bounded, and regex terms run on RE2 like the filter's.
 */
// The ESM build: esbuild cannot follow the UMD build's dynamic require of './impl/…'.
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { compileFilter, type CompiledFilter } from '../filter/compileFilter';
import { formatDuration, parseDuration } from './duration';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** The built-in checks, by the id rules files, diagnostics and `rule:` terms use. */
export const BUILTIN_IDS = ['personal-data', 'evar-length', 'event-values', 'unknown-fields'] as const;
export type BuiltinId = (typeof BUILTIN_IDS)[number];

/** The key of each built-in under `"builtins"` in the file, its default severity and what it checks. */
export const BUILTINS: Readonly<Record<BuiltinId, { key: string; severity: Severity; message: string }>> = {
  'personal-data': { key: 'personalData', severity: 'error', message: 'Personal data (e-mail address, card number, phone number) in a variable' },
  'evar-length': { key: 'evarLength', severity: 'warning', message: 'eVar value over Adobe\'s 255-byte limit (Adobe truncates it)' },
  'event-values': { key: 'eventValues', severity: 'warning', message: 'Event with a zero or non-numeric value' },
  'unknown-fields': { key: 'unknownFields', severity: 'info', message: 'Field unknown to Live Stream records (schema drift)' },
};

/** Bounds on untrusted workspace content. */
export const RULES_LIMITS = {
  fileBytes: 256 * 1024,
  rules: 200,
  idChars: 64,
  messageChars: 500,
  filterChars: 2000,
  /** "arrives within": 1 s to 1 h. */
  minWithinMs: 1000,
  maxWithinMs: 3_600_000,
} as const;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A position in the rules file: offsets in UTF-16 units, line and column 0-based. */
export interface FileRange { offset: number; length: number; line: number; column: number }

export interface RulesFileError extends FileRange { message: string }

/** One user rule, compiled. */
export interface Rule {
  id: string;
  severity: Severity;
  message: string;
  /** Which hits the rule applies to; empty = every hit. */
  when: CompiledFilter;
  /** What an applicable hit (or, with `withinMs`, a later hit of the same visitor) must match: every group. */
  expect: CompiledFilter[];
  /** The `expect` text as written (groups joined by spaces), for messages. */
  expectText: string;
  whenText: string;
  /** "Arrives within": a hit matching `expect` must follow a `when` hit of the same visitor within this time. */
  withinMs?: number;
  /** Where the rule is (its `id` value, else the rule object). */
  at: FileRange;
}

export interface Builtin {
  id: BuiltinId;
  severity: Severity;
  message: string;
  /** Its entry under `"builtins"`, else the start of the file. */
  at: FileRange;
}

export interface RuleSet {
  rules: Rule[];
  /** The built-ins that are on. */
  builtins: Builtin[];
}

export interface ParseRulesOptions {
  /** `liveStream.myTraffic`, for `is:mine` in `when`/`expect`. */
  myTraffic?: readonly string[];
  /** Built-ins off unless the file turns them on (the `liveStream.rules.builtins` setting set to false). Default: on. */
  builtinsOff?: boolean;
}

/** Line starts of a text, for offset → line/column. */
function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo, column: offset - starts[lo]! };
  };
}

/**
 * Maps an index into a JSON string's decoded value to an offset in the file:
 * `raw` is the literal with its quotes, starting at `offset`.
 */
function decodedToFile(raw: string, offset: number): (i: number) => number {
  const map: number[] = [];
  let j = 1;
  while (j < raw.length - 1) {
    map.push(offset + j);
    if (raw[j] === '\\') j += raw[j + 1] === 'u' ? 6 : 2;
    else j++;
  }
  map.push(offset + j);
  return (i) => map[Math.max(0, Math.min(i, map.length - 1))]!;
}

/**
 * Parses and compiles a rules file. Never throws. Errors come with positions;
 * rules that have errors are left out and the rest are returned, so the
 * editor keeps checking while one rule is being written (the CLI refuses a
 * file with any error).
 */
export function parseRulesFile(text: string, opts: ParseRulesOptions = {}): { set: RuleSet; errors: RulesFileError[] } {
  const pos = lineIndex(typeof text === 'string' ? text : '');
  const errors: RulesFileError[] = [];
  const range = (offset: number, length: number): FileRange => ({ offset, length, ...pos(offset) });
  const err = (message: string, offset: number, length: number) => { errors.push({ message, ...range(offset, Math.max(0, length)) }); };
  const nodeErr = (message: string, n: Node) => err(message, n.offset, n.length);
  const set: RuleSet = { rules: [], builtins: [] };

  if (typeof text !== 'string' || text.length > RULES_LIMITS.fileBytes) {
    err(`The rules file is over ${RULES_LIMITS.fileBytes / 1024} KiB: split it or remove rules`, 0, 0);
    return { set, errors };
  }
  const parseErrors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  } catch {
    // Deeply nested input can overflow the parser's recursion.
    err('The rules file is nested too deeply to read', 0, 0);
    return { set, errors };
  }
  for (const e of parseErrors.slice(0, 20)) err(`JSON syntax: ${printParseErrorCode(e.error)}`, e.offset, e.length);
  if (parseErrors.length) return { set, errors };
  if (!root || root.type !== 'object') {
    err('The rules file must be a JSON object: { "rules": [ … ] }', root?.offset ?? 0, root?.length ?? 0);
    return { set, errors };
  }

  const start = range(0, 0);
  let builtinsNode: Node | undefined;
  let rulesNode: Node | undefined;
  for (const prop of root.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    switch (k.value) {
      case '$schema': break;
      case 'rules': rulesNode = v; break;
      case 'builtins': builtinsNode = v; break;
      default: nodeErr(`Unknown key ${JSON.stringify(String(k.value)).slice(0, 60)}: expected "rules", "builtins" or "$schema"`, k);
    }
  }

  // Built-ins: on with their default severity unless the file (or the setting) says otherwise.
  const builtinEntry = new Map<string, Node>();
  if (builtinsNode) {
    if (builtinsNode.type !== 'object') nodeErr('"builtins" must be an object, e.g. { "personalData": "error", "unknownFields": false }', builtinsNode);
    else for (const prop of builtinsNode.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (!k || !v) continue;
      const id = BUILTIN_IDS.find((b) => BUILTINS[b].key === k.value);
      if (!id) { nodeErr(`Unknown built-in ${JSON.stringify(String(k.value)).slice(0, 60)}: use ${BUILTIN_IDS.map((b) => BUILTINS[b].key).join(', ')}`, k); continue; }
      if (v.type !== 'boolean' && !(v.type === 'string' && (SEVERITIES as readonly string[]).includes(v.value as string))) {
        nodeErr('Use true, false, "error", "warning" or "info"', v);
        continue;
      }
      builtinEntry.set(id, prop);
    }
  }
  for (const id of BUILTIN_IDS) {
    const prop = builtinEntry.get(id);
    const v = prop?.children?.[1];
    const value: unknown = v?.value;
    const on = value === undefined ? !opts.builtinsOff : value !== false;
    if (!on) continue;
    const severity = typeof value === 'string' ? (value as Severity) : BUILTINS[id].severity;
    set.builtins.push({ id, severity, message: BUILTINS[id].message, at: prop ? range(prop.offset, prop.length) : start });
  }

  if (!rulesNode) return { set, errors };
  if (rulesNode.type !== 'array') {
    nodeErr('"rules" must be an array of rules', rulesNode);
    return { set, errors };
  }
  const items = rulesNode.children ?? [];
  if (items.length > RULES_LIMITS.rules) err(`Only the first ${RULES_LIMITS.rules} rules are checked`, items[RULES_LIMITS.rules]!.offset, items[RULES_LIMITS.rules]!.length);
  const seen = new Set<string>();
  for (const item of items.slice(0, RULES_LIMITS.rules)) {
    const before = errors.length;
    const rule = parseRule(item, text, opts, nodeErr, err, range, seen);
    if (rule && errors.length === before) set.rules.push(rule);
  }
  return { set, errors };
}

/** The empty filter: a rule without "when" applies to every hit. */
function everyHit(): CompiledFilter | undefined {
  const c = compileFilter('');
  return c.ok ? c.filter : undefined;
}

function parseRule(
  item: Node, text: string, opts: ParseRulesOptions,
  nodeErr: (m: string, n: Node) => void, err: (m: string, o: number, l: number) => void,
  range: (o: number, l: number) => FileRange, seen: Set<string>,
): Rule | undefined {
  if (item.type !== 'object') { nodeErr('A rule must be an object: { "id": …, "when": …, "expect": …, "severity": …, "message": … }', item); return undefined; }
  const props = new Map<string, Node>();
  const keys = new Map<string, Node>();
  for (const prop of item.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    const key = String(k.value);
    if (!['id', 'when', 'expect', 'within', 'severity', 'message'].includes(key)) { nodeErr(`Unknown key ${JSON.stringify(key).slice(0, 60)} in a rule: use id, when, expect, within, severity, message`, k); continue; }
    props.set(key, v);
    keys.set(key, k);
  }
  const idNode = props.get('id');
  let id = '';
  if (!idNode) nodeErr('A rule needs an "id"', item);
  else if (idNode.type !== 'string' || !ID_RE.test(idNode.value as string) || (idNode.value as string).length > RULES_LIMITS.idChars) {
    nodeErr(`"id" must be letters, digits, "_", "." or "-" (at most ${RULES_LIMITS.idChars}), starting with a letter or digit`, idNode);
  } else if ((BUILTIN_IDS as readonly string[]).includes(idNode.value as string)) {
    nodeErr(`"${idNode.value as string}" is the id of a built-in check: pick another id`, idNode);
  } else if (seen.has(idNode.value as string)) {
    nodeErr(`Duplicate rule id "${idNode.value as string}"`, idNode);
  } else {
    id = idNode.value as string;
    seen.add(id);
  }
  const at = idNode ? range(idNode.offset, idNode.length) : range(item.offset, 1);

  const severityNode = props.get('severity');
  let severity: Severity = 'warning';
  if (severityNode) {
    if (severityNode.type === 'string' && (SEVERITIES as readonly string[]).includes(severityNode.value as string)) severity = severityNode.value as Severity;
    else nodeErr('"severity" must be "error", "warning" or "info"', severityNode);
  }
  const messageNode = props.get('message');
  let message = '';
  if (messageNode) {
    if (messageNode.type !== 'string' || (messageNode.value as string).length > RULES_LIMITS.messageChars) nodeErr(`"message" must be text of at most ${RULES_LIMITS.messageChars} characters`, messageNode);
    else message = messageNode.value as string;
  }

  const compileGroup = (n: Node, what: string): CompiledFilter | undefined => {
    if (n.type !== 'string') { nodeErr(`"${what}" must be filter text, e.g. "pageName~/^checkout:/ is:page"`, n); return undefined; }
    const value = n.value as string;
    if (value.length > RULES_LIMITS.filterChars) { nodeErr(`"${what}" is over ${RULES_LIMITS.filterChars} characters`, n); return undefined; }
    const c = compileFilter(value, { myTraffic: opts.myTraffic });
    if (c.ok) return c.filter;
    const toFile = decodedToFile(text.slice(n.offset, n.offset + n.length), n.offset);
    const s = toFile(c.error.start), e = toFile(Math.max(c.error.end, c.error.start + 1));
    err(`"${what}": ${c.error.message}`, s, e - s);
    return undefined;
  };

  const whenNode = props.get('when');
  const when = whenNode ? compileGroup(whenNode, 'when') : everyHit();
  const expectNode = props.get('expect');
  const expect: CompiledFilter[] = [];
  const expectTexts: string[] = [];
  if (!expectNode) nodeErr('A rule needs "expect": what matching hits must satisfy, e.g. "has:evar5 purchase>0"', keys.get('id') ?? item);
  else if (expectNode.type === 'array') {
    if ((expectNode.children ?? []).length === 0) nodeErr('"expect" needs at least one term', expectNode);
    for (const g of (expectNode.children ?? []).slice(0, 50)) {
      const f = compileGroup(g, 'expect');
      if (f) { expect.push(f); expectTexts.push(f.source); }
    }
  } else {
    const f = compileGroup(expectNode, 'expect');
    if (f) {
      if (f.isEmpty) nodeErr('"expect" needs at least one term', expectNode);
      expect.push(f);
      expectTexts.push(f.source);
    }
  }

  let withinMs: number | undefined;
  const withinNode = props.get('within');
  if (withinNode) {
    const ms = withinNode.type === 'string' ? parseDuration(withinNode.value as string) : withinNode.type === 'number' ? (withinNode.value as number) * 1000 : undefined;
    if (ms === undefined || ms < RULES_LIMITS.minWithinMs || ms > RULES_LIMITS.maxWithinMs) {
      nodeErr(`"within" must be a duration from ${formatDuration(RULES_LIMITS.minWithinMs)} to ${formatDuration(RULES_LIMITS.maxWithinMs)}, e.g. "2m" or "90s"`, withinNode);
    } else {
      withinMs = ms;
      if (!whenNode) nodeErr('A rule with "within" needs a "when": the trigger hit the expected hit must follow', keys.get('within')!);
    }
  }
  if (!id || !when || expect.length === 0) return undefined;
  return {
    id, severity, when, expect, withinMs, at,
    message: message || (withinMs !== undefined ? `Expected a hit matching "${expectTexts.join(' ')}" within ${formatDuration(withinMs)}` : `Hits must match "${expectTexts.join(' ')}"`),
    expectText: expectTexts.join(' '),
    whenText: when.source,
  };
}
