import assert from 'node:assert/strict';
import { hitsFromWire, isHostToWebview, isWebviewToHost, PROTOCOL_VERSION, wireHit, wireHits } from '../../src/shared/protocol';
import { parseRecord } from '../../src/shared/losslessJson';
import { buildPanelHtml, panelCsp } from '../../src/shared/panelHtml';
import { isExactIntegerString, prettyJson, revealInvisible } from '../../src/webview/format';
import { RateBuckets } from '../../src/webview/rate';
import { parseUiState } from '../../src/webview/uiState';
import { toggleTerm } from '../../src/webview/filterBox';

const engine = { streamUrl: 'u', state: { kind: 'idle' }, stats: { received: 0, duplicates: 0, malformed: 0, oversized: 0, hitsPerSecond: 0 } };

describe('protocol validators (plain Node)', () => {
  it('accepts every well-formed webview message', () => {
    for (const m of [
      { type: 'ready', version: PROTOCOL_VERSION }, { type: 'connect' }, { type: 'connectDemo' }, { type: 'disconnect' }, { type: 'clear' },
      { type: 'export', format: 'csv', filter: 'pageName:x' }, { type: 'copyText', text: 'x' }, { type: 'copyHit', seq: 3 },
      { type: 'openSettings' }, { type: 'openSettings', query: 'liveStream' }, { type: 'log', level: 'warn', message: 'm' },
    ]) assert.equal(isWebviewToHost(m), true, JSON.stringify(m));
  });

  it('rejects malformed or oversized webview messages', () => {
    for (const m of [
      null, 'ready', [], {}, { type: 'nope' }, { type: 'connect', extra: 1 }, { type: 'ready' }, { type: 'ready', version: '1' },
      { type: 'export', format: 'xml', filter: '' }, { type: 'export', format: 'csv' }, { type: 'copyHit', seq: -1 }, { type: 'copyHit', seq: 1.5 },
      { type: 'copyHit', seq: '1' }, { type: 'copyText', text: 'x'.repeat(5 * 1024 * 1024) }, { type: 'log', level: 'debug', message: '' },
      { type: 'export', format: 'csv', filter: 'x'.repeat(20_000) },
    ]) assert.equal(isWebviewToHost(m), false, JSON.stringify(m)?.slice(0, 80));
  });

  it('checks host messages strictly, including each hit and the engine model', () => {
    const hit = { seq: 1, key: 'a:b', receivedAt: 1, data: { pageName: 'x' } };
    assert.equal(isHostToWebview({ type: 'snapshot', version: PROTOCOL_VERSION, engine, hits: [hit], maxHits: 10, myTraffic: [], now: 1 }), true);
    assert.equal(isHostToWebview({ type: 'snapshot', version: PROTOCOL_VERSION + 1, engine, hits: [], maxHits: 10, myTraffic: [], now: 1 }), false);
    assert.equal(isHostToWebview({ type: 'hits', hits: [hit], now: 1 }), true);
    assert.equal(isHostToWebview({ type: 'hits', hits: [{ ...hit, data: [] }], now: 1 }), false);
    assert.equal(isHostToWebview({ type: 'hits', hits: [{ ...hit, seq: 'x' }], now: 1 }), false);
    assert.equal(isHostToWebview({ type: 'state', engine: { ...engine, state: { kind: 'cooldown', since: 1, until: 2, code: '409' } }, now: 1 }), false, 'cooldown needs auto');
    assert.equal(isHostToWebview({ type: 'exportResult', outcome: 'done', format: 'json', count: 3, path: '/x' }), true);
    assert.equal(isHostToWebview({ type: 'cleared' }), true);
  });
});

describe('protocol: tracking rules (issue 13)', () => {
  const hit = { seq: 1, key: 'a:b', receivedAt: 1, data: { pageName: 'x' } };
  const failure = { rule: 'r', kind: 'expect', severity: 'error', field: 'evar5', value: '(absent)', message: 'm' };

  it('hits may carry their rule results; malformed or oversized results are refused', () => {
    assert.equal(isHostToWebview({ type: 'hits', hits: [{ ...hit, rules: { failed: [failure], passed: ['p'], waiting: [] } }], now: 1 }), true);
    for (const rules of [
      {}, { failed: [], passed: [] }, { failed: [{ ...failure, severity: 'fatal' }], passed: [], waiting: [] },
      { failed: [{ ...failure, value: 7 }], passed: [], waiting: [] }, { failed: Array(51).fill(failure), passed: [], waiting: [] },
      { failed: [], passed: ['x'.repeat(1001)], waiting: [] }, { failed: [], passed: [], waiting: 'r' },
    ]) assert.equal(isHostToWebview({ type: 'hits', hits: [{ ...hit, rules }], now: 1 }), false, JSON.stringify(rules).slice(0, 80));
  });

  it('wireHit copies the results (bounded), so later changes on the host do not race the message', () => {
    const rules = { failed: [failure], passed: ['p'], waiting: ['w'] };
    const wired = wireHit({ ...hit, raw: '{}', rules } as Parameters<typeof wireHit>[0]);
    assert.deepEqual(wired.rules, rules);
    assert.notEqual(wired.rules, rules);
    assert.equal(wireHit({ ...hit, raw: '{}' } as Parameters<typeof wireHit>[0]).rules, undefined);
  });

  it('setFilter: exactly a filter of bounded length', () => {
    assert.equal(isHostToWebview({ type: 'setFilter', filter: 'rule:checkout-evar5/expect' }), true);
    assert.equal(isHostToWebview({ type: 'setFilter', filter: 'x'.repeat(10_001) }), false);
    assert.equal(isHostToWebview({ type: 'setFilter', filter: 1 }), false);
    assert.equal(isHostToWebview({ type: 'setFilter', filter: '', extra: true }), false);
  });
});

describe('panel HTML', () => {
  it('has a strict CSP: nonce scripts only, no unsafe-*', () => {
    const csp = panelCsp('https://x.vscode-cdn.net', 'abcdefghijklmnop1234');
    assert.equal(csp, "default-src 'none'; script-src 'nonce-abcdefghijklmnop1234'; style-src https://x.vscode-cdn.net; font-src https://x.vscode-cdn.net; img-src https://x.vscode-cdn.net data:");
    const html = buildPanelHtml({ cspSource: 'https://x', nonce: 'abcdefghijklmnop1234', scriptUri: 'https://x/main.js', styleUri: 'https://x/style.css', codiconUri: 'https://x/codicon.css' });
    assert.doesNotMatch(html, /unsafe-/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<script nonce="abcdefghijklmnop1234" src="https:\/\/x\/main.js"><\/script>/);
    assert.throws(() => buildPanelHtml({ cspSource: 'x', nonce: 'short', scriptUri: '', styleUri: '', codiconUri: '' }));
  });
});

describe('webview helpers', () => {
  it('prints exact ids unquoted and real strings quoted', () => {
    const { text } = prettyJson({ hitIdLow: '4948646782672799561', customVisId: '420520', big: '12345678901234567890', n: 5 });
    assert.equal(text, '{\n  "hitIdLow": 4948646782672799561,\n  "customVisId": "420520",\n  "big": 12345678901234567890,\n  "n": 5\n}');
    assert.equal(isExactIntegerString('pageName', '123'), false);
  });

  it('cuts long strings visibly in the raw view', () => {
    const r = prettyJson({ a: 'x'.repeat(20) }, 5);
    assert.equal(r.truncated, 1);
    assert.match(r.text, /"xxxxx… \(\+15 chars\)"/);
  });

  it('reveals bidi controls', () => {
    assert.equal(revealInvisible('a\u202Eb\u2066c'), 'a⟨U+202E⟩b⟨U+2066⟩c');
  });

  it('buckets rate by hit time, out of order, ignoring hits older than the window', () => {
    const r = new RateBuckets(300);
    const now = 10_000;
    for (const t of [now, now - 5, now, now - 299, now - 300, now - 1000]) r.add(t, now);
    const [xs, ys] = r.series(now);
    assert.equal(xs.length, 300);
    assert.equal(xs[299], now);
    assert.equal(ys[299], 2);
    assert.equal(ys[294], 1);
    assert.equal(ys[0], 1); // now-299
    assert.equal(r.total(now), 4);
  });

  it('parses saved UI state forgivingly', () => {
    const s = parseUiState({ v: 1, hidden: ['visitor', 'bogus'], widths: { page: 5, url: 'x' }, utc: true, filter: 7 });
    assert.deepEqual(s.hidden, ['visitor']);
    assert.equal(s.widths.page, 32);
    assert.equal(s.widths.url, 220);
    assert.equal(s.utc, true);
    assert.equal(s.filter, '');
    assert.equal(parseUiState({ v: 2, utc: true }).utc, false, 'unknown schema → defaults');
  });

  it('chips toggle a term without disturbing quoted values', () => {
    assert.equal(toggleTerm('pageName:"a b"', 'type:page'), 'pageName:"a b" type:page');
    assert.equal(toggleTerm('pageName:"a b" type:page', 'type:page'), 'pageName:"a b"');
  });
});

describe('protocol: records as bytes (issue 11)', () => {
  const sample = '{"hitIdHigh":18446744073709551615,"hitIdLow":9007199254740993,"pageName":"caf\u00e9 \u2014 \ud83d\ude00","visIdHigh":12345678901234567890}';
  /** A lazy hit as the stream worker's pipeline makes it: bytes only, `data` never to be read here. */
  const lazy = (seq: number, text: string) => {
    const bytes = new TextEncoder().encode(text);
    return { seq, key: `k:${seq}`, receivedAt: 1, raw: text, recordBytes: bytes.byteLength, bytesView: () => bytes, get data(): Record<string, unknown> { throw new Error('parsed on the host'); } };
  };

  it('wireHits sends record bytes, never parsing a lazy hit; hitsFromWire gives the same data as the host parser, every digit exact', () => {
    const eager = { seq: 2, key: 'k:2', receivedAt: 1, raw: '{"pageName":"\u6771\u4eac","n":1.50}', data: parseRecord('{"pageName":"\u6771\u4eac","n":1.50}') };
    const placeholder = { seq: 3, key: 'k:3', receivedAt: 1, raw: 'x', data: { timeGMT: 5 }, omitted: { reason: 'too-deep' as const, bytes: 9 } };
    const { hits, records } = wireHits([lazy(1, sample), eager, placeholder]);
    assert.deepEqual(hits.map((h) => h.len ?? null), [new TextEncoder().encode(sample).byteLength, new TextEncoder().encode(eager.raw).byteLength, null]);
    assert.equal(records!.byteLength, hits[0]!.len! + hits[1]!.len!);
    const msg = { type: 'hits', hits, records, now: 1 };
    assert.equal(isHostToWebview(msg), true);
    const back = hitsFromWire(hits, records);
    assert.deepEqual(back[0]!.data, parseRecord(sample));
    assert.equal(back[0]!.data.hitIdHigh, '18446744073709551615');
    assert.equal(back[0]!.data.hitIdLow, '9007199254740993');
    assert.deepEqual(back[1]!.data, eager.data);
    assert.deepEqual(back[2], placeholder.omitted ? { seq: 3, key: 'k:3', receivedAt: 1, data: { timeGMT: 5 }, omitted: { reason: 'too-deep', bytes: 9 } } : undefined);
  });

  it('refuses a message whose lengths do not add up to its bytes; a record that does not parse becomes a placeholder, the rest are shown', () => {
    const { hits, records } = wireHits([lazy(1, sample), lazy(2, '{"pageName":"b"}')]);
    assert.equal(isHostToWebview({ type: 'hits', hits, records: records!.subarray(1), now: 1 }), false);
    assert.equal(isHostToWebview({ type: 'hits', hits, now: 1 }), false, 'lengths without bytes');
    assert.equal(isHostToWebview({ type: 'hits', hits, records: Array.from(records!), now: 1 }), false, 'not a Uint8Array');
    assert.equal(isHostToWebview({ type: 'hits', hits: [{ ...hits[0], data: {} }], records, now: 1 }), false, 'bytes and data both');
    const broken = new TextEncoder().encode('{"pageName":');
    const back = hitsFromWire([{ seq: 1, key: 'a', receivedAt: 1, len: broken.byteLength }, { seq: 2, key: 'b', receivedAt: 1, len: 2 }], new Uint8Array([...broken, 123, 125]));
    assert.deepEqual(back.map((h) => h.omitted?.reason ?? 'shown'), ['too-large', 'shown']);
  });
});
