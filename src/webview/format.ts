/** Pure formatting helpers for the webview (no DOM), unit-testable in Node. */

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** `HH:MM:SS` in local time or UTC. */
export function fmtTime(ms: number | undefined, utc: boolean): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return utc
    ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    : `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Full date-time for tooltips: ISO in UTC, or local with the offset spelled out. */
export function fmtDateTime(ms: number | undefined, utc: boolean): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  if (utc) return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${fmtTime(ms, false)} (UTC${sign}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)})`;
}

/** A compact duration: `41s`, `4m 03s`, `2h 10m`. Negative values (clock skew) keep their sign. */
export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const sign = ms < 0 ? '-' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${sign}${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** `18 204`: thin grouping like the design, independent of the webview's locale. */
export function fmtCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** A byte size for people: `812 B`, `412.3 KiB`, `1.0 MiB`. */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Lag worth flagging: Live Stream is normally 20 s to 5 min behind. */
export const UNUSUAL_LAG_MS = 5 * 60 * 1000;

// Bidi overrides/isolates and marks can make attacker text display reversed or
// spoof neighbouring text ("‮gpj.exe"). We show them as visible escapes; copy
// still copies the exact value.
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF]/g;

export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Cut to `max` characters with a visible ellipsis; table cells and tooltips never carry megabytes. */
export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

/** Display form of an untrusted value for a one-line cell. */
export function cellText(text: string, max = 400): string {
  return revealInvisible(clip(text, max));
}

const ID_KEY = /Id(High|Low)$/;
const DIGITS = /^-?\d+$/;

/**
 * Whether a string in parsed hit data stands for a JSON number in the raw
 * record. The lossless parser turns `*IdHigh`/`*IdLow` and integers beyond 2^53
 * into digit strings; we cannot tell those from a genuine string of digits
 * > 2^53 in the raw record, so such a rare string is shown unquoted. "Copy hit
 * as JSON" asks the host for the exact raw text instead of using this.
 */
export function isExactIntegerString(key: string, value: string): boolean {
  if (!DIGITS.test(value)) return false;
  if (ID_KEY.test(key)) return true;
  return value.replace('-', '').length >= 16 && !Number.isSafeInteger(Number(value));
}

/**
 * Pretty-printed JSON of parsed hit data with exact ids written as numbers, as
 * they are in the raw record. Strings longer than `maxString` are cut with a
 * visible marker (the result is for display; `null` = no cutting).
 */
export function prettyJson(data: unknown, maxString: number | null = null): { text: string; truncated: number } {
  let truncated = 0;
  const out: string[] = [];
  const str = (s: string) => {
    if (maxString !== null && s.length > maxString) {
      truncated++;
      return JSON.stringify(s.slice(0, maxString)).slice(0, -1) + `… (+${fmtCount(s.length - maxString)} chars)"`;
    }
    return JSON.stringify(s);
  };
  const walk = (v: unknown, key: string, indent: string): void => {
    if (typeof v === 'string') { out.push(isExactIntegerString(key, v) ? v : str(v)); return; }
    if (v === null || typeof v !== 'object') { out.push(v === undefined ? 'null' : JSON.stringify(v) ?? 'null'); return; }
    const inner = indent + '  ';
    if (Array.isArray(v)) {
      if (v.length === 0) { out.push('[]'); return; }
      out.push('[\n');
      v.forEach((item, i) => { out.push(inner); walk(item, key, inner); out.push(i < v.length - 1 ? ',\n' : '\n'); });
      out.push(indent + ']');
      return;
    }
    // Object.keys: own enumerable keys only, so a `__proto__` key is printed as data, never followed.
    const keys = Object.keys(v);
    if (keys.length === 0) { out.push('{}'); return; }
    out.push('{\n');
    keys.forEach((k, i) => {
      out.push(inner, str(k), ': ');
      walk((v as Record<string, unknown>)[k], k, inner);
      out.push(i < keys.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + '}');
  };
  walk(data, '', '');
  return { text: out.join(''), truncated };
}
