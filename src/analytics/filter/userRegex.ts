/**
 * User regular expressions (`field~/regex/flags` filter terms), run by a
 * linear-time engine so that no pattern can freeze the panel or the host.
 *
 * The pattern is written in JavaScript syntax and checked by the JavaScript
 * parser (only parsed, never run), then translated to RE2 syntax and compiled
 * by `re2js`, a pure-JS port of RE2 (works in Node and in the webview bundle).
 * RE2 matches in time linear in the text: `(a+)+$` costs the same as `a+$`.
 *
 * What changes compared with a JavaScript RegExp:
 * - refused, with an error naming the feature: backreferences (`\1`, `\k<n>`),
 *   lookahead and lookbehind; they cannot be matched in linear time;
 * - refused as too expensive: a pattern whose RE2 program exceeds
 *   MAX_PROGRAM instructions (large repeat counts such as `(a{1000}){1000}`),
 *   since the worst-case cost of one test is proportional to program size ×
 *   text length; RE2 also caps every repeat count at 1000;
 * - flags: `i`, `m`, `s` as in JavaScript; `u` is accepted (matching is always
 *   by code point); `g`, `y` and `d` are ignored; `v` is refused;
 * - `.`, `\s` and `\S` keep their JavaScript meaning (outside classes); `^`/`$`
 *   with `m` only see `\n` as a line break (JavaScript also sees `\r`, U+2028,
 *   U+2029); inside a class `\S` is RE2's (not space, tab, CR, LF or FF);
 * - text is matched by code point even without `u`: `😀?` makes the whole emoji
 *   optional (JavaScript: its second half); with `i`, `\P{…}` follows RE2 (it
 *   also excludes the other case of the property's letters).
 * A differential property test (test/unit/filter.test.ts) checks everything
 * else against RegExp.
 */
import { RE2JS } from 're2js';

/** A compiled user regex; `test` runs in time linear in the length of `s`. */
export interface UserRegex {
  test(s: string): boolean;
  /** RE2 program size (instructions): the cost of one step. */
  readonly programSize: number;
}

export interface UserRegexError {
  message: string;
  /** Offending range in the pattern body (UTF-16 offsets, end exclusive); absent: the whole term. */
  start?: number;
  end?: number;
  /** The pattern is valid but too expensive to test on every hit. */
  tooExpensive?: true;
}

export type UserRegexResult = { ok: true; regex: UserRegex } | { ok: false; error: UserRegexError };

/**
 * Largest RE2 program accepted. A test costs at most about 25 ns × program
 * size × text length (when RE2's lazy DFA gives up because its 8 MB state cache
 * thrashes, and the NFA runs every instruction on every character). Ordinary
 * patterns compile to tens of instructions; a 500-character literal to 502.
 */
export const MAX_PROGRAM = 1000;
/** Compile is only attempted below this structural estimate (bounds compile time too). */
const MAX_ESTIMATE = 10 * MAX_PROGRAM;
const SAT = 1e9;

const WHY = '(filters use linear-time RE2 syntax)';

/** JavaScript's \s: WhiteSpace and LineTerminator, as RE2 class items. */
const JS_SPACE = '\\t\\n\\x{0B}\\f\\r\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const ALL = '\\x{0}-\\x{10FFFF}';

// Unicode General_Category long names (JavaScript) → the short names RE2 knows.
const GC: Record<string, string> = {
  Letter: 'L', Cased_Letter: 'LC', Uppercase_Letter: 'Lu', Lowercase_Letter: 'Ll', Titlecase_Letter: 'Lt',
  Modifier_Letter: 'Lm', Other_Letter: 'Lo', Mark: 'M', Combining_Mark: 'M', Nonspacing_Mark: 'Mn',
  Spacing_Mark: 'Mc', Enclosing_Mark: 'Me', Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl',
  Other_Number: 'No', Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd',
  Open_Punctuation: 'Ps', Close_Punctuation: 'Pe', Initial_Punctuation: 'Pi', Final_Punctuation: 'Pf',
  Other_Punctuation: 'Po', Symbol: 'S', Math_Symbol: 'Sm', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk',
  Other_Symbol: 'So', Separator: 'Z', Space_Separator: 'Zs', Line_Separator: 'Zl', Paragraph_Separator: 'Zp',
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Surrogate: 'Cs', Private_Use: 'Co', Unassigned: 'Cn',
};

class Refusal {
  constructor(readonly message: string, readonly start: number, readonly end: number) {}
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const hexCp = (cp: number): string => `\\x{${cp.toString(16).toUpperCase()}}`;

/** One code point as an RE2 literal outside a class. */
function literal(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if ('\\.+*?()|[]{}^$'.includes(ch)) return `\\${ch}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff)) return hexCp(cp);
  return ch;
}

/** One code point inside an RE2 class. */
function classChar(cp: number): string {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? String.fromCharCode(cp) : hexCp(cp);
}

/** Cost estimate of `count` copies, saturating. */
const times = (cost: number, count: number): number => Math.min(SAT, cost * count);

/**
 * What an escape stands for: one code point, or a set: `cls` as RE2 class
 * items (for use inside [...]), `alone` as an RE2 atom.
 */
type Item = { cp: number } | { cls: string; alone: string };

const set = (cls: string, alone = `[${cls}]`): Item => ({ cls, alone });

/**
 * Translates a JavaScript pattern (already accepted by the JavaScript parser
 * with these flags) to RE2 syntax, and estimates the program size from its
 * structure (atoms × enclosing repeat counts). Throws Refusal.
 */
function translate(body: string, unicode: boolean, dotAll: boolean): { pattern: string; estimate: number } {
  const n = body.length;
  let i = 0;
  let out = '';
  // Per open group: estimated cost so far, and the cost of the last atom (which a quantifier repeats).
  const frames: { sum: number; last: number }[] = [{ sum: 0, last: 0 }];
  const top = () => frames[frames.length - 1]!;
  const atom = (text: string, cost = 1) => { out += text; const f = top(); f.sum = Math.min(SAT, f.sum + cost); f.last = cost; };

  const codePointAt = (k: number): number => body.codePointAt(k)!;
  const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

  /** Parses the escape at body[k] === '\\'; returns what it is and the index after it. */
  const escape = (k: number, inClass: boolean): { item: Item | 'boundary'; text?: string; next: number } => {
    const start = k;
    const c = body[k + 1];
    if (c === undefined) throw new Refusal('Invalid regular expression: \\ at end of pattern', start, k + 1);
    const next = k + 2;
    switch (c) {
      case 'd': case 'D': case 'w': case 'W': return { item: set(`\\${c}`, `\\${c}`), next };
      case 's': return { item: set(JS_SPACE), next };
      // Inside a class RE2's own \S (not space, tab, CR, LF or FF): a class cannot hold a negated set.
      case 'S': return { item: set('\\S', `[^${JS_SPACE}]`), next };
      case 'b': return inClass ? { item: { cp: 8 }, next } : { item: 'boundary', text: '\\b', next };
      case 'B': return inClass ? { item: { cp: 0x42 }, next } : { item: 'boundary', text: '\\B', next };
      case 't': return { item: { cp: 9 }, next };
      case 'n': return { item: { cp: 10 }, next };
      case 'v': return { item: { cp: 11 }, next };
      case 'f': return { item: { cp: 12 }, next };
      case 'r': return { item: { cp: 13 }, next };
      case 'c': {
        const l = body[k + 2];
        if (l !== undefined && /^[A-Za-z]$/.test(l)) return { item: { cp: l.charCodeAt(0) % 32 }, next: k + 3 };
        if (inClass && l !== undefined && (isDigit(l) || l === '_')) return { item: { cp: l.charCodeAt(0) % 32 }, next: k + 3 };
        return { item: { cp: 0x5c }, next: k + 1 }; // Annex B: a lone "\c" is a backslash, then "c"
      }
      case 'x':
        if (isHex(body[k + 2]) && isHex(body[k + 3])) return { item: { cp: parseInt(body.slice(k + 2, k + 4), 16) }, next: k + 4 };
        return { item: { cp: 0x78 }, next };
      case 'u': {
        if (unicode && body[k + 2] === '{') {
          const close = body.indexOf('}', k + 3);
          return { item: { cp: parseInt(body.slice(k + 3, close), 16) }, next: close + 1 };
        }
        const h = body.slice(k + 2, k + 6);
        if (h.length === 4 && [...h].every(isHex)) {
          const u = parseInt(h, 16);
          // A surrogate pair written as two escapes is one code point.
          if (u >= 0xd800 && u <= 0xdbff && body[k + 6] === '\\' && body[k + 7] === 'u') {
            const l = body.slice(k + 8, k + 12);
            const lo = l.length === 4 && [...l].every(isHex) ? parseInt(l, 16) : -1;
            if (lo >= 0xdc00 && lo <= 0xdfff) return { item: { cp: 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00) }, next: k + 12 };
          }
          return { item: { cp: u }, next: k + 6 };
        }
        return { item: { cp: 0x75 }, next };
      }
      case 'p': case 'P': {
        if (!unicode || body[k + 2] !== '{') return { item: { cp: c.charCodeAt(0) }, next };
        const close = body.indexOf('}', k + 3);
        const name = body.slice(k + 3, close);
        const prop = unicodeProperty(name);
        if (prop === undefined) throw new Refusal(`The Unicode property \\${c}{${name}} is not supported ${WHY}; use a General_Category or a script name, e.g. \\p{L} or \\p{Greek}`, start, close + 1);
        const items = c === 'p' ? prop.pos : prop.neg;
        return { item: set(items, items === '' ? `[^${ALL}]` : `[${items}]`), next: close + 1 };
      }
      case 'k':
        if (body[k + 2] === '<' && (unicode || /\(\?<[^=!]/.test(body))) {
          const close = body.indexOf('>', k + 3);
          throw new Refusal(`Backreferences are not supported ${WHY}`, start, close < 0 ? next : close + 1);
        }
        return { item: { cp: 0x6b }, next };
      case '0':
        if (!isDigit(body[k + 2])) return { item: { cp: 0 }, next };
        break; // legacy octal, below
      default:
        break;
    }
    if (isDigit(c)) {
      if (!inClass && c !== '0') {
        let e = k + 1;
        while (isDigit(body[e])) e++;
        throw new Refusal(`Backreferences are not supported ${WHY}`, start, e);
      }
      // Annex B legacy octal (\0 followed by digits, or \1… in a class): up to 3 digits, at most \377.
      let e = k + 1;
      let v = 0;
      while (e < n && e < k + 4 && body[e]! >= '0' && body[e]! <= '7' && v * 8 + Number(body[e]) <= 0o377) { v = v * 8 + Number(body[e]); e++; }
      if (e === k + 1) return { item: { cp: c.charCodeAt(0) }, next }; // \8, \9: the digit itself
      return { item: { cp: v }, next: e };
    }
    // Identity escape: the character itself.
    const cp = codePointAt(k + 1);
    return { item: { cp }, next: k + 1 + width(cp) };
  };

  /** A whole [...] class starting at body[k] === '['; returns RE2 text and the index after it. */
  const charClass = (k: number): { text: string; next: number } => {
    let j = k + 1;
    let negated = false;
    if (body[j] === '^') { negated = true; j++; }
    const parts: string[] = [];
    // Items are single code points (which may form ranges) or sets.
    const readItem = (): { item: Item; next: number } => {
      if (body[j] === '\\') {
        const e = escape(j, true);
        return { item: e.item as Item, next: e.next };
      }
      const cp = codePointAt(j);
      return { item: { cp }, next: j + width(cp) };
    };
    while (j < n && body[j] !== ']') {
      const a = readItem();
      j = a.next;
      if (body[j] === '-' && j + 1 < n && body[j + 1] !== ']') {
        const save = j;
        j++;
        const b = readItem();
        if ('cp' in a.item && 'cp' in b.item) {
          parts.push(`${classChar(a.item.cp)}-${classChar(b.item.cp)}`);
          j = b.next;
          continue;
        }
        // Annex B: a class escape next to "-" makes the "-" literal.
        parts.push('cp' in a.item ? classChar(a.item.cp) : a.item.cls, classChar(0x2d));
        j = save + 1;
        continue;
      }
      parts.push('cp' in a.item ? classChar(a.item.cp) : a.item.cls);
    }
    if (j >= n) throw new Refusal('Invalid regular expression: missing ]', k, n);
    const inner = parts.join('');
    // JavaScript: [] never matches, [^] matches anything.
    if (inner === '') return { text: negated ? `[${ALL}]` : `[^${ALL}]`, next: j + 1 };
    return { text: `[${negated ? '^' : ''}${inner}]`, next: j + 1 };
  };

  /** A quantifier at body[k], if there is one: its RE2 text, repeat bound and the index after it. */
  const quantifier = (k: number): { text: string; count: number; next: number } | undefined => {
    const c = body[k];
    let text: string;
    let count: number;
    let e: number;
    if (c === '*' || c === '+' || c === '?') { text = c; count = 1; e = k + 1; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(k, k + 24));
      if (!m) return undefined;
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? lo + 1 : Number(m[3]);
      text = m[0];
      count = Math.max(1, lo, hi);
      e = k + m[0].length;
    } else return undefined;
    if (body[e] === '?') { text += '?'; e++; }
    return { text, count, next: e };
  };

  while (i < n) {
    const c = body[i]!;
    if (c === '\\') {
      const e = escape(i, false);
      if (e.item === 'boundary') atom(e.text!, 1);
      else atom('cp' in e.item ? literal(e.item.cp) : e.item.alone);
      i = e.next;
    } else if (c === '[') {
      const e = charClass(i);
      atom(e.text);
      i = e.next;
    } else if (c === '(') {
      if (body[i + 1] === '?') {
        const d = body[i + 2];
        if (d === '=' || d === '!') throw new Refusal(`Lookahead (?${d}…) is not supported ${WHY}`, i, i + 3);
        if (d === '<' && (body[i + 3] === '=' || body[i + 3] === '!')) throw new Refusal(`Lookbehind (?<${body[i + 3]}…) is not supported ${WHY}`, i, i + 4);
        if (d === '<') {
          // Named group: captures are not needed to test, so it becomes a plain group.
          i = body.indexOf('>', i + 3) + 1;
          out += '(?:';
        } else if (d === ':') {
          i += 3;
          out += '(?:';
        } else {
          // Modifiers (?ims-ims:…), the same in RE2.
          const m = /^\(\?([ims]*(?:-[ims]*)?):/.exec(body.slice(i, i + 12));
          if (!m) throw new Refusal('Invalid regular expression: invalid group', i, i + 2);
          out += m[0];
          i += m[0].length;
        }
      } else {
        out += '(?:';
        i++;
      }
      frames.push({ sum: 0, last: 0 });
    } else if (c === ')') {
      const f = frames.pop();
      if (!f || frames.length === 0) throw new Refusal('Invalid regular expression: unmatched )', i, i + 1);
      out += ')';
      i++;
      const t = top();
      t.sum = Math.min(SAT, t.sum + f.sum + 1);
      t.last = f.sum + 1;
    } else if (c === '|') {
      out += '|';
      top().last = 0;
      i++;
    } else if (c === '^' || c === '$') {
      atom(c);
      i++;
    } else if (c === '.') {
      atom(dotAll ? '(?s:.)' : '[^\\n\\r\\x{2028}\\x{2029}]');
      i++;
    } else {
      const q = quantifier(i);
      if (q) {
        const f = top();
        const repeated = q.text.startsWith('{') ? times(f.last, q.count) + 1 : f.last + 1;
        f.sum = Math.min(SAT, f.sum - f.last + repeated);
        f.last = 0;
        out += q.text;
        i = q.next;
      } else {
        const cp = codePointAt(i);
        atom(literal(cp));
        i += width(cp);
      }
    }
  }
  if (frames.length !== 1) throw new Refusal('Invalid regular expression: missing )', 0, n);
  return { pattern: out, estimate: frames[0]!.sum };
}

/**
 * RE2 class items for a JavaScript \\p{…} name (`pos`) and for its \\P{…} (`neg`),
 * or undefined when RE2 has no equivalent.
 */
function unicodeProperty(name: string): { pos: string; neg: string } | undefined {
  const prop = (short: string) => ({ pos: `\\p{${short}}`, neg: `\\P{${short}}` });
  let v = name;
  const eq = v.indexOf('=');
  if (eq >= 0) {
    const key = v.slice(0, eq);
    v = v.slice(eq + 1);
    if (key === 'General_Category' || key === 'gc') return /^[A-Z][a-z]?$/.test(v) ? prop(v) : GC[v] ? prop(GC[v]) : undefined;
    // Script_Extensions is approximated by Script.
    if (key === 'Script' || key === 'sc' || key === 'Script_Extensions' || key === 'scx') return /^[A-Z][A-Za-z_]*$/.test(v) ? prop(v) : undefined;
    return undefined;
  }
  if (v === 'Any') return { pos: ALL, neg: '' };
  if (v === 'ASCII') return { pos: '\\x{0}-\\x{7F}', neg: '\\x{80}-\\x{10FFFF}' };
  if (GC[v]) return prop(GC[v]);
  if (/^[A-Z][a-z]?$/.test(v)) return prop(v);
  return undefined;
}

/**
 * Compiles a user regex (`body` in JavaScript syntax, JavaScript `flags`) for
 * the linear-time engine, or explains why not. Never throws. `name` (e.g. the
 * filter term) names the pattern in a "too expensive" message.
 */
export function compileUserRegex(body: string, flags: string, name?: string): UserRegexResult {
  const fail = (message: string, start?: number, end?: number): UserRegexResult =>
    ({ ok: false, error: start === undefined ? { message } : { message, start, end: end ?? start } });
  const expensive = (why: string): UserRegexResult =>
    ({ ok: false, error: { message: `Regular expression too expensive${name ? ` in ${name}` : ''}: ${why}`, tooExpensive: true } });
  let re2Flags = 0;
  let unicode = false;
  let dotAll = false;
  for (const f of flags) {
    if (f === 'i') re2Flags |= RE2JS.CASE_INSENSITIVE;
    else if (f === 'm') re2Flags |= RE2JS.MULTILINE;
    else if (f === 's') dotAll = true;
    else if (f === 'u') unicode = true;
    else if (f === 'g' || f === 'y' || f === 'd') continue; // meaningless for a yes/no test
    else if (f === 'v') return fail(`Invalid regular expression flag "v": it is not supported ${WHY}; use i, m, s or u`);
    else return fail(`Invalid regular expression flag "${f}": use i, m, s or u`);
  }
  // The JavaScript parser checks the syntax; it only parses, nothing runs.
  try {
    new RegExp(body, unicode ? 'u' : '');
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return fail(`Invalid regular expression: ${why}`);
  }
  let t: { pattern: string; estimate: number };
  try {
    t = translate(body, unicode, dotAll);
  } catch (e) {
    if (e instanceof Refusal) return fail(e.message, e.start, e.end);
    return fail(`Invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
  }
  const limit = `(the limit is ${MAX_PROGRAM}); use smaller repeat counts`;
  if (t.estimate > MAX_ESTIMATE) {
    return expensive(`it compiles to about ${t.estimate >= SAT ? 'a billion or more' : t.estimate.toLocaleString('en')} instructions ${limit}`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(t.pattern, re2Flags);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const repeat = /invalid repeat count: `([^`]*)`/.exec(text);
    if (repeat) return expensive(`repeat count ${repeat[1]} is over RE2's limit of 1000 (nested counts multiply)`);
    return fail(`Invalid regular expression: ${text.replace(/^error parsing regexp: /, '')}`);
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM) return expensive(`it compiles to ${size.toLocaleString('en')} instructions ${limit}`);
  const test = (s: string): boolean => {
    try {
      return re.test(s);
    } catch {
      return false; // defensive: an engine error must not break filtering
    }
  };
  return { ok: true, regex: { test, programSize: size } };
}
