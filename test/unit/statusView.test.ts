import { strict as assert } from 'node:assert';
import { escapeMarkdown, formatCountdown, stateLine, statusView } from '../../src/shared/statusView';
import type { EngineSnapshot, LastError } from '../../src/shared/model';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const stats = { received: 1234, duplicates: 5, malformed: 0, oversized: 0, hitsPerSecond: 42.34 };
const err409: LastError = { code: '409', status: 409, description: 'Maximum connections reached (1) for stream demo', explanation: 'Too many connections…', at: NOW - 5000 };
const snap = (state: EngineSnapshot['state'], lastError?: LastError): EngineSnapshot => ({ streamUrl: 'https://livestream.adobe.net/api/1/stream/s', state, lastError, stats });

describe('statusView (the status bar as a pure function of state)', () => {
  it('disconnected', () => {
    const v = statusView(snap({ kind: 'idle' }), NOW);
    assert.equal(v.text, '$(debug-disconnect) Live Stream');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /\[Connect\]\(command:liveStream\.connect\)/);
  });

  it('connecting spins and keeps the last error code visible', () => {
    assert.equal(statusView(snap({ kind: 'connecting', since: NOW, attempt: 2 }, err409), NOW).text, '$(loading~spin) Live Stream 409');
  });

  it('connected shows the rate; the error is marked resolved in the tooltip, not in the text', () => {
    const v = statusView(snap({ kind: 'connected', since: NOW - 60_000 }, err409), NOW);
    assert.equal(v.text, '$(pulse) Live Stream 42.3/s');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /409\*\* at .*\(resolved\)/);
    assert.match(v.tooltip, /\[Disconnect\]/);
  });

  it('falling behind is visible: the real rate, a warning and a warning background, explained in the tooltip and the CLI line', () => {
    const s: EngineSnapshot = { ...snap({ kind: 'connected', since: NOW - 60_000 }), stats: { ...stats, hitsPerSecond: 48_123, fallingBehind: true } };
    const v = statusView(s, NOW);
    assert.equal(v.text, '$(pulse) Live Stream 48123/s $(warning) falling behind');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(v.ariaLabel, /falling behind/);
    assert.match(v.tooltip, /\*\*Falling behind\*\*/);
    assert.match(stateLine(s, NOW), /48123 hits\/s \(falling behind\)/);
  });

  it('cooldown: live countdown, the code that caused it, warning background, Connect now link', () => {
    const v = statusView(snap({ kind: 'cooldown', since: NOW, until: NOW + 42_300, code: '409', auto: true }, err409), NOW);
    assert.equal(v.text, '$(watch) Live Stream 409 43 s');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(v.tooltip, /command:liveStream\.connectNow/);
    assert.match(v.tooltip, /Maximum connections reached \\\(1\\\) for stream demo/);
    assert.equal(statusView(snap({ kind: 'cooldown', since: NOW, until: NOW + 125_000, code: 'user', auto: false }), NOW).text, '$(watch) Live Stream 2 min 05 s');
  });

  it('stopped on an error: error background and the code; stopped by the user: plain', () => {
    const v = statusView(snap({ kind: 'stopped', since: NOW, code: '404', reason: 'No stream at this URL' }, { ...err409, code: '404' }), NOW);
    assert.equal(v.text, '$(error) Live Stream 404');
    assert.equal(v.background, 'statusBarItem.errorBackground');
    const u = statusView(snap({ kind: 'stopped', since: NOW, code: 'user', reason: 'Disconnected by you.' }, err409), NOW);
    assert.equal(u.text, '$(debug-disconnect) Live Stream');
    assert.equal(u.background, undefined);
  });

  it('server text cannot inject links or markup into the trusted tooltip', () => {
    const evil: LastError = { ...err409, description: '[click](command:workbench.action.terminal.new) <img src=x> `x` *b*' };
    const v = statusView(snap({ kind: 'cooldown', since: NOW, until: NOW + 1000, code: '409', auto: true }, evil), NOW);
    assert.ok(!v.tooltip.includes('[click](command:workbench'), v.tooltip);
    assert.ok(v.tooltip.includes('\\[click\\]\\(command:workbench'));
    assert.ok(v.tooltip.includes('\\<img') && !/[^\\]<img/.test(v.tooltip), 'angle brackets escaped (and MarkdownString HTML is off anyway)');
    assert.equal(escapeMarkdown('a\nb'), 'a b');
  });

  it('server text with terminal controls or bidi overrides is shown as visible escapes in the tooltip', () => {
    const evil: LastError = { ...err409, description: 'held \x1b]0;pwned\x07 \u202eevil' };
    const v = statusView(snap({ kind: 'cooldown', since: NOW, until: NOW + 1000, code: '409', auto: true }, evil), NOW);
    assert.ok(!v.tooltip.includes('\x1b') && !v.tooltip.includes('\x07') && !v.tooltip.includes('\u202e'), v.tooltip);
    // escapeControls writes \x1b, then the Markdown escaping doubles the backslash and escapes ']'.
    assert.ok(v.tooltip.includes('held \\\\x1b\\]0;pwned\\\\x07 \\\\u202eevil'), v.tooltip);
  });

  it('counts refused, oversized and undisplayable records in the tooltip, only when not zero', () => {
    const quiet = statusView(snap({ kind: 'connected', since: NOW }), NOW).tooltip;
    assert.doesNotMatch(quiet, /oversized|invalid ids|display/);
    const noisy = statusView({ ...snap({ kind: 'connected', since: NOW }), stats: { ...stats, malformed: 2, oversized: 3, refusedIds: 4, placeholders: 5 } }, NOW).tooltip;
    assert.match(noisy, /malformed: 2 · oversized \(dropped\): 3 · invalid ids \(dropped\): 4 · too deep\/large to display: 5/);
  });

  it('never shows secrets: the URL is origin + path only', () => {
    const v = statusView({ ...snap({ kind: 'idle' }), streamUrl: 'https://livestream.adobe.net/api/1/stream/s' }, NOW);
    assert.ok(!/\?/.test(v.tooltip.split('\n')[0]));
  });

  it('plain lines for the CLI and the log', () => {
    assert.equal(stateLine(snap({ kind: 'connected', since: NOW }), NOW), 'connected · 42.3 hits/s · 1234 received · 5 duplicates dropped');
    assert.equal(stateLine(snap({ kind: 'cooldown', since: NOW, until: NOW + 60_000, code: 'idle-timeout', auto: true }), NOW), 'cooling down after idle timeout: next attempt in 1 min 00 s');
    assert.equal(formatCountdown(0), '0 s');
    assert.equal(formatCountdown(59_001), '1 min 00 s');
  });
});
