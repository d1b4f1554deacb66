import type { StoredHit } from '../shared/model';

/** What the writer pauses when stdout pushes back: the engine, or a relay viewer. */
export interface ReadingSource {
  stop(reason?: string): Promise<void>;
  pauseReading(): void;
  resumeReading(): void;
}

/**
 * Writes raw records (the exact text the server sent, so every digit survives)
 * in one write per batch, and pauses reading when stdout pushes back.
 */
const NL = Buffer.from('\n');

/**
 * DEL, C1 controls (U+009B is a one-character CSI) and bidi/invisible
 * formatting characters. A valid JSON record can hold them only inside
 * strings (raw C0 controls make it malformed), where `\uXXXX` is the same value.
 */
const TERMINAL_UNSAFE_IN_JSON = /[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const TERMINAL_UNSAFE_IN_JSON_G = new RegExp(TERMINAL_UNSAFE_IN_JSON.source, 'g');
const jsonEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export class HitWriter {
  private waiting = false;
  constructor(private readonly stream: NodeJS.WriteStream, private readonly engine: ReadingSource, private readonly status?: { clear(): void; redraw(): void }) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // A closed pipe (`| head`) ends the program quietly, like any Unix tool.
      if (e.code === 'EPIPE') void engine.stop('Output closed.');
    });
  }

  write(hits: StoredHit[]): void {
    // The bytes as received: exact digits by construction, and no UTF-8 re-encoding.
    // On a terminal, characters it would act on are written as JSON escapes (same JSON value).
    const tty = this.stream.isTTY;
    const parts: Uint8Array[] = [];
    for (const h of hits) {
      // (A hit from `tail --relay` may carry only its bytes: its text is decoded here, for a terminal only.)
      const text = tty ? h.raw || Buffer.from(h.rawBytes ?? []).toString('utf8') : '';
      if (tty && TERMINAL_UNSAFE_IN_JSON.test(text)) parts.push(Buffer.from(text.replace(TERMINAL_UNSAFE_IN_JSON_G, jsonEscape), 'utf8'), NL);
      else parts.push(h.rawBytes ?? Buffer.from(h.raw, 'utf8'), NL);
    }
    this.status?.clear();
    const ok = this.stream.write(Buffer.concat(parts));
    this.status?.redraw();
    if (!ok && !this.waiting) {
      this.waiting = true;
      this.engine.pauseReading();
      this.stream.once('drain', () => { this.waiting = false; this.engine.resumeReading(); });
    }
  }

  flush(): Promise<void> {
    return new Promise((r) => { if (this.stream.writableNeedDrain) this.stream.once('drain', () => r()); else r(); });
  }
}

