/**
 * Server text made safe for a terminal, a log line or a tooltip. Shared by the
 * engine's log lines, the CLI and the status view, so it lives here, below all
 * of them (no Node, no DOM).
 */
// C0 controls except tab (ESC starts terminal sequences; CR/LF forge lines), DEL,
// C1 controls (U+009B is a one-character CSI), and the invisible and bidi
// formatting characters that make text display as something else (U+202E).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_FOR_TERMINAL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Makes text from a server safe to print on a terminal or a log line: every
 * control, bidi or invisible formatting character becomes a visible escape
 * (`\x1b`, `\u202e`), so a server cannot move the cursor, retitle the window,
 * forge extra lines or reverse the text around it. Tabs and ordinary text pass.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
