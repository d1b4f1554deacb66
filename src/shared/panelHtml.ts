/**
 * The hits webview's HTML, built without `vscode` so the Chromium tests load
 * exactly the page (and CSP) that the extension host sets. The host passes
 * `webview.cspSource` and `asWebviewUri` results; the tests pass a loopback origin.
 */
export interface PanelHtmlOptions {
  /** `webview.cspSource` (or the test server origin). */
  cspSource: string;
  /** Base64/alphanumeric nonce from a CSPRNG, fresh per page. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
}

/** The CSP: nothing by default, scripts only by nonce, styles/fonts/images only from the extension's webview root. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

/** Attribute-context escape; the inputs are ours, but an odd cspSource must not break out of an attribute. */
function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildPanelHtml(o: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('nonce must be at least 16 base64 characters');
  // The body is only a mount point: main.ts builds the UI with DOM APIs, so no
  // markup here ever contains data.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.codiconUri)}">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>Live Stream hits</title>
</head>
<body>
<div id="app" class="app"></div>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
