import { escapeControls } from './escapeControls';
import type { EngineSnapshot, EngineStats, RelayView } from './model';

/**
 * The status bar as a pure function of the engine model (rust-analyzer's
 * habit): unit-tested here, merely applied by the host.
 */
export interface StatusView {
  /** Status bar text with codicons, e.g. `$(pulse) Live Stream 42.3/s`. */
  text: string;
  /** Markdown (trusted only for the listed command links; all server text is escaped). */
  tooltip: string;
  /** Theme colour id for the background, if any. */
  background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
  /** Accessibility label (no codicons). */
  ariaLabel: string;
}

/** Commands the tooltip may link to (the host enables exactly these). */
export const TOOLTIP_COMMANDS = ['liveStream.connectNow', 'liveStream.disconnect', 'liveStream.showHits', 'liveStream.showLog', 'liveStream.connect', 'liveStream.connectDemo'] as const;

export function formatRate(r: number): string {
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1);
}

/** "1 min 05 s" / "42 s". */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

/** One plain line describing the state, for the CLI's stderr and logs. */
export function stateLine(s: EngineSnapshot, now: number): string {
  const st = s.state;
  switch (st.kind) {
    case 'idle': return 'disconnected';
    case 'connecting': return st.attempt > 1 ? `connecting (attempt ${st.attempt})…` : 'connecting…';
    case 'connected': return `connected · ${formatRate(s.stats.hitsPerSecond)} hits/s${s.stats.fallingBehind ? ' (falling behind)' : ''} · ${s.stats.received} received · ${s.stats.duplicates} duplicates dropped`;
    case 'cooldown': return `cooling down after ${causeText(st.code)}: next attempt in ${formatCountdown(st.until - now)}`;
    case 'stopped': return st.code === 'user' ? 'disconnected' : `stopped (${st.code}): ${st.reason}`;
  }
}

/**
 * The counters of records refused or shown differently, when not zero: a
 * hostile or broken stream is visible here, not only in the log.
 */
export function problemCounts(st: EngineStats): string[] {
  const out: string[] = [];
  if (st.malformed) out.push(`malformed: ${st.malformed}`);
  if (st.oversized) out.push(`oversized (dropped): ${st.oversized}`);
  if (st.refusedIds) out.push(`invalid ids (dropped): ${st.refusedIds}`);
  if (st.placeholders) out.push(`too deep/large to display: ${st.placeholders}`);
  return out;
}

function causeText(code: string): string {
  if (code === 'cooldown') return 'an earlier connection';
  if (code === 'user') return 'your disconnect';
  return /^\d{3}$/.test(code) ? code : code.replace(/-/g, ' ');
}

/** Escapes text for a MarkdownString so server-provided text cannot inject links or markup. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function statusView(s: EngineSnapshot, now: number): StatusView {
  if (s.relay) return relayStatusView(s, s.relay, now);
  const st = s.state;
  const err = s.lastError;
  // The last error code stays visible until the next successful connection.
  const errTag = err && st.kind !== 'connected' && st.kind !== 'idle' && !(st.kind === 'stopped' && st.code === 'user') ? ` ${err.code}` : '';
  let text: string;
  let background: StatusView['background'];
  let label: string;
  switch (st.kind) {
    case 'idle':
      text = '$(debug-disconnect) Live Stream'; label = 'Live Stream: disconnected'; break;
    case 'connecting':
      text = `$(loading~spin) Live Stream${errTag}`; label = `Live Stream: connecting${errTag}`; break;
    case 'connected':
      text = `$(pulse) Live Stream ${formatRate(s.stats.hitsPerSecond)}/s`; label = `Live Stream: connected, ${formatRate(s.stats.hitsPerSecond)} hits per second`;
      if (s.stats.fallingBehind) {
        // Never silent: the window cannot read the stream as fast as it arrives.
        text += ' $(warning) falling behind';
        label += ', falling behind';
        background = 'statusBarItem.warningBackground';
      }
      break;
    case 'cooldown':
      text = `$(watch) Live Stream${errTag || (st.code !== 'cooldown' && st.code !== 'user' ? ` ${st.code}` : '')} ${formatCountdown(st.until - now)}`;
      background = 'statusBarItem.warningBackground';
      label = `Live Stream: cooling down, reconnecting in ${formatCountdown(st.until - now)}`;
      break;
    case 'stopped':
      if (st.code === 'user') { text = '$(debug-disconnect) Live Stream'; label = 'Live Stream: disconnected'; }
      else { text = `$(error) Live Stream ${st.code}`; background = 'statusBarItem.errorBackground'; label = `Live Stream: stopped, ${st.code}`; }
      break;
  }

  const lines: string[] = [];
  lines.push(`**Live Stream** · ${escapeMarkdown(s.streamUrl || 'no stream configured')}`, '');
  lines.push(`State: ${escapeMarkdown(stateLine(s, now))}`);
  if ('since' in st) lines.push(`Since: ${timeOf(st.since)}`);
  if (st.kind === 'connected' && s.stats.fallingBehind) lines.push(`**Falling behind**: this window cannot keep up with ${formatRate(s.stats.hitsPerSecond)} hits/s; hits arrive late and the server may drop some.`);
  lines.push(`Hits received: ${s.stats.received} · duplicates dropped: ${s.stats.duplicates}${problemCounts(s.stats).map((p) => ` · ${p}`).join('')}`);
  if (err) {
    lines.push('', `Last error: **${escapeMarkdown(err.code)}** at ${timeOf(err.at)}${st.kind === 'connected' ? ' (resolved)' : ''}`);
    // Server text: controls and bidi overrides shown as visible escapes, then Markdown-escaped.
    if (err.description) lines.push(`> ${escapeMarkdown(escapeControls(err.description.slice(0, 300)))}`, '');
    lines.push(escapeMarkdown(err.explanation));
  }
  const links: string[] = [];
  if (st.kind === 'cooldown') links.push('[Connect now](command:liveStream.connectNow "Skip the cooldown (may cause 409)")');
  if (st.kind === 'connected' || st.kind === 'connecting' || st.kind === 'cooldown') links.push('[Disconnect](command:liveStream.disconnect)');
  if (st.kind === 'idle' || st.kind === 'stopped') links.push('[Connect](command:liveStream.connect)', '[Demo](command:liveStream.connectDemo)');
  links.push('[Show Hits](command:liveStream.showHits)', '[Show Log](command:liveStream.showLog)');
  lines.push('', links.join(' · '));
  return { text, tooltip: lines.join('  \n'), background, ariaLabel: label };
}

/** The relay's state in a few words ("connected", "cooling down 42 s", "silent"). */
function relayStateText(r: RelayView, now: number): string {
  switch (r.relayState) {
    case 'none': return 'no relay running';
    case 'silent': return 'relay silent';
    case 'released': return 'relay stopped';
    case 'cooldown': return r.relayUntil ? `relay cooling down ${formatCountdown(r.relayUntil - now)}` : 'relay cooling down';
    default: return `relay ${r.relayState}`;
  }
}

/**
 * A viewer of a team relay: "via relay" with the relay's Adobe state and last
 * error code, plus this window's own Redis connection. Warning background
 * when the relay is not connected to Adobe; error background when Redis
 * refused this window (wrong password).
 */
function relayStatusView(s: EngineSnapshot, r: RelayView, now: number): StatusView {
  const st = s.state;
  const code = r.relayLastErrorCode && r.relayState !== 'connected' ? ` ${r.relayLastErrorCode}` : '';
  const relayText = relayStateText(r, now);
  let text: string;
  let background: StatusView['background'];
  if (st.kind === 'stopped' && st.code === 'user' || st.kind === 'idle') {
    text = '$(debug-disconnect) Live Stream via relay';
  } else if (r.redis === 'failed') {
    text = '$(error) Live Stream via relay: Redis refused';
    background = 'statusBarItem.errorBackground';
  } else if (r.redis !== 'connected') {
    text = `$(loading~spin) Live Stream via relay: Redis ${r.redis}`;
    background = 'statusBarItem.warningBackground';
  } else if (r.relayState === 'connected') {
    text = `$(broadcast) Live Stream via relay ${formatRate(s.stats.hitsPerSecond)}/s`;
  } else {
    text = `$(broadcast) Live Stream via relay: ${r.relayState === 'cooldown' ? '$(watch) ' : ''}${relayText}${code}`;
    background = 'statusBarItem.warningBackground';
  }
  const lines: string[] = [];
  lines.push(`**Live Stream via relay** · ${escapeMarkdown(r.redisUrl)} · key ${escapeMarkdown(r.key)}`, '');
  lines.push(`This window's Redis connection: ${escapeMarkdown(r.redis)}${r.redisError ? ` — ${escapeMarkdown(escapeControls(r.redisError.slice(0, 300)))}` : ''}`);
  lines.push(`Relay (Adobe connection): ${escapeMarkdown(relayText)}${r.leader ? ` · leader ${escapeMarkdown(escapeControls(r.leader))}` : ''}`);
  if (r.relayHitsPerSecond !== undefined && r.relayState === 'connected') lines.push(`Relay rate: ${formatRate(r.relayHitsPerSecond)} hits/s`);
  if (r.relayDropped) lines.push(`**Relay dropped ${r.relayDropped} hits** while Redis was unreachable (its buffer was full).`);
  if (r.relayLastErrorCode) {
    lines.push('', `Relay's last Adobe error: **${escapeMarkdown(r.relayLastErrorCode)}**${r.relayState === 'connected' ? ' (resolved)' : ''}`);
    if (r.relayLastErrorDescription) lines.push(`> ${escapeMarkdown(escapeControls(r.relayLastErrorDescription.slice(0, 300)))}`);
  }
  lines.push('', `Hits received in this window: ${s.stats.received} · duplicates dropped: ${s.stats.duplicates}${problemCounts(s.stats).map((p) => ` · ${p}`).join('')}`);
  lines.push('', 'No Adobe cooldown applies to this window: it reads the relay, never Adobe.');
  const links: string[] = [];
  if (st.kind === 'idle' || st.kind === 'stopped') links.push('[Connect](command:liveStream.connect)');
  else links.push('[Disconnect](command:liveStream.disconnect)');
  links.push('[Show Hits](command:liveStream.showHits)', '[Show Log](command:liveStream.showLog)');
  lines.push('', links.join(' · '));
  const label = text.replace(/\$\([^)]*\)\s?/g, '');
  return { text, tooltip: lines.join('  \n'), background, ariaLabel: label };
}
