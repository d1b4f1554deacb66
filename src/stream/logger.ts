/** The small logging interface the core receives (the host adapts a LogOutputChannel to it). */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Secrets shorter than this are not redacted (they would turn ordinary words into `***`). */
const MIN_SECRET_CHARS = 4;
/** A cut-off tail of a secret at least this long is still redacted (bodies are read capped, so an echo can end mid-token). */
const MIN_TAIL_CHARS = 8;

/**
 * Every form in which a secret can come back in a server's answer: as
 * configured and trimmed (a pasted token with a trailing space is sent
 * trimmed), URL-encoded (an echoed query or redirect), form-encoded (an echoed
 * `application/x-www-form-urlencoded` token request: space → `+`), and escaped
 * inside a JSON string (also with `\/`, as PHP-style encoders write `/`).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>();
  for (const s of [secret, secret.trim()]) {
    if (s.length < MIN_SECRET_CHARS) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ s }).toString().slice(2));
    const json = JSON.stringify(s).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/\//g, '\\/'));
  }
  // Longest first: the untrimmed form must go before the trimmed one it contains.
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * Replaces every occurrence of each secret, in every form `secretForms` lists,
 * with `***`; percent-encoded forms match with either hex case. A text that
 * ends in the first characters of a secret (a capped echo) has that tail
 * redacted too. Secrets shorter than 4 characters are ignored.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = secrets.flatMap((s) => (s ? secretForms(s) : [])).sort((a, b) => b.length - a.length);
  for (const f of forms) {
    if (f.includes('%')) out = out.replace(new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '***');
    else if (out.includes(f)) out = out.split(f).join('***');
  }
  for (const f of forms) {
    for (let k = f.length - 1; k >= MIN_TAIL_CHARS; k--) {
      if (out.endsWith(f.slice(0, k))) { out = `${out.slice(0, out.length - k)}***`; break; }
    }
  }
  return out;
}

/**
 * Whether the `count`th occurrence of a repeated warning is logged: the first
 * five, then every hundredth (with the running count in the line), so a hostile
 * stream cannot flood the log, yet nothing is dropped without a trace.
 */
export function shouldLog(count: number): boolean {
  return count <= 5 || count % 100 === 0;
}
