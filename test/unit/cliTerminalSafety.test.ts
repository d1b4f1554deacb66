/**
 * Issue 9.6 and 9.7: what the CLI prints about server answers never contains
 * a secret (in any form the server may echo it), and never carries terminal
 * controls from the server to the terminal.
 */
import { strict as assert } from 'node:assert';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeControls } from '../../src/shared/escapeControls';
import { redact, secretForms } from '../../src/stream/logger';
import { StatusLine } from '../../src/cli/statusLine';
import { ScriptedServer, until } from '../support/engineHelpers';
import { buildCli, runCli, type CliRun } from '../support/cliRun';


/** A pasted token with a trailing space (the request trims it) and characters that URL/form encoding change. */
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0+/=.c2lnbmF0dXJl ';
const SECRET = 'p8e-Cl13nt+S3cr/t=ü ';

/** Every form the test server echoes a secret in, and that must never reach the terminal. */
function leakForms(secret: string): string[] {
  const out = new Set<string>();
  for (const s of [secret, secret.trim()]) {
    out.add(s);
    out.add(encodeURIComponent(s));
    out.add(encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    out.add(new URLSearchParams({ v: s }).toString().slice(2));
    out.add(JSON.stringify(s).slice(1, -1));
  }
  return [...out];
}

/** Characters a terminal acts on or that reorder text (tab and newline allowed). */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => resolve(body));
  });
}

describe('redaction and terminal escaping (issue 9.6, 9.7)', function () {
  this.timeout(30_000);

  describe('redact', () => {
    it('removes a secret in every form: as set, trimmed, URL-encoded (either hex case), form-encoded, JSON-escaped', () => {
      for (const f of leakForms(TOKEN).concat(leakForms(SECRET))) {
        const out = redact(`before ${f} after`, [TOKEN, SECRET]);
        // (The untrimmed form may take the space after a trimmed echo with it.)
        assert.match(out, /^before \*\*\* ?after$/, `form ${JSON.stringify(f)}: ${out}`);
      }
      assert.equal(redact('a "tok\\/en" b', ['tok/en']), 'a "***" b', 'JSON with an escaped slash');
      assert.ok(secretForms(TOKEN).includes(TOKEN.trim()));
    });

    it('redacts the cut-off start of a secret at the end of a capped echo', () => {
      const capped = `HTTP 401: Bearer ${TOKEN.slice(0, 20)}`;
      assert.equal(redact(capped, [TOKEN]), 'HTTP 401: Bearer ***');
      assert.equal(redact('ends with eyJ', [TOKEN]), 'ends with eyJ', 'fewer than 8 characters are not a secret');
    });
  });

  describe('escapeControls', () => {
    it('shows C0 (but tab), DEL, C1 incl. the one-byte CSI, and bidi/invisible characters as visible escapes', () => {
      assert.equal(escapeControls('a\x1b]0;title\x07b\x1b[31mc\td\r\ne\x7f\u009b1m\u202eevil\u2066\u200b'),
        'a\\x1b]0;title\\x07b\\x1b[31mc\td\\x0d\\x0ae\\x7f\\x9b1m\\u202eevil\\u2066\\u200b');
      assert.equal(escapeControls('Grüße, 東京 🎉'), 'Grüße, 東京 🎉', 'ordinary text passes');
    });

    it('the terminal status line escapes what it renders; only its own sequences are raw', () => {
      let written = '';
      const tty = { columns: 200, write: (s: string) => { written += s; return true; } } as unknown as NodeJS.WriteStream;
      const line = new StatusLine(tty, () => 'stopped (409): \x1b]0;pwned\x07 \u009b2J \u202edone');
      line.stop();
      // eslint-disable-next-line no-control-regex -- the status line's own sequences
      assert.equal(written.replace(/\r\x1b\[2K(\x1b\[2m)?|\x1b\[0m/g, ''), 'stopped (409): \\x1b]0;pwned\\x07 \\x9b2J \\u202edone');
    });
  });

  describe('dist/cli.js against an echoing, hostile loopback server', () => {
    let server: ScriptedServer;
    let stateDir: string;
    const runs: CliRun[] = [];
    const tail = (args: string[], env: Record<string, string>) => {
      const r = runCli(['tail', '--state-dir', stateDir, ...args], env);
      runs.push(r);
      return r;
    };

    before(() => {
      buildCli();
    });
    beforeEach(async () => {
      server = await ScriptedServer.start();
      stateDir = mkdtempSync(join(tmpdir(), 'lsi-safe-'));
    });
    afterEach(async () => {
      for (const r of runs.splice(0)) r.kill('SIGKILL');
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('a token with trailing whitespace, echoed back raw, encoded and escaped in a 401, is never printed', async () => {
      server.otherwise((req, res) => {
        const auth = String(req.headers.authorization ?? '');
        const token = auth.replace(/^Bearer /, '');
        json(res, 401, { error: 'invalid_token', error_description: `rejected ${auth} | ${encodeURIComponent(token)} | ${new URLSearchParams({ t: token })} | ${JSON.stringify({ token })} | ${token.toLowerCase() === token ? '' : encodeURIComponent(token).toLowerCase()}` });
      });
      const r = tail(['--url', server.url, '--verbose'], { LIVESTREAM_ACCESS_TOKEN: TOKEN });
      assert.equal(await r.exit, 4);
      assert.equal(server.requests[0]!.headers.authorization, `Bearer ${TOKEN.trim()}`, 'the request sends the trimmed token');
      const printed = r.stdout() + r.stderr();
      assert.match(printed, /401/);
      assert.match(printed, /rejected Bearer \*\*\*/, 'the echo was printed, redacted');
      for (const f of leakForms(TOKEN)) assert.ok(!printed.includes(f), `leaked ${JSON.stringify(f)}:\n${printed}`);
    });

    it('the client secret, echoed from the form-encoded token request (raw, decoded, lower-case hex), is never printed', async () => {
      server.otherwise((req, res) => {
        if (req.method !== 'POST') { json(res, 500, { error: 'unexpected' }); return; }
        void readBody(req).then((body) => {
          const decoded = decodeURIComponent(body.replace(/\+/g, ' '));
          const lower = body.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
          json(res, 400, { error: 'invalid_client', error_description: `bad request body ${body} | decoded ${decoded} | ${lower}` });
        });
      });
      const r = tail(['--url', server.url, '--ims-url', `${server.origin}/ims/token/v3`, '--verbose'], { LIVESTREAM_CLIENT_ID: 'cid-1', LIVESTREAM_CLIENT_SECRET: SECRET });
      assert.equal(await r.exit, 4);
      assert.ok(server.requests.some((q) => q.method === 'POST'), 'the token request was made');
      const printed = r.stdout() + r.stderr();
      assert.match(printed, /client_secret=\*\*\*/, 'the echo was printed, redacted');
      for (const f of leakForms(SECRET)) assert.ok(!printed.includes(f), `leaked ${JSON.stringify(f)}:\n${printed}`);
    });

    it('escapes in a 409 error_description, a 404 body and a redirect Location reach stderr only as visible escapes', async () => {
      const evil = 'slot held \x1b]0;pwned\x07 \x1b[31mRED\x1b[0m \u009b2J \u202eevil\u202c\r\nforged: connected\x7f';
      // A redirect whose Location carries a one-byte CSI and a bidi override (raw bytes: Node's
      // own header check refuses them, undici accepts such obs-text), then the 409.
      server.next((_req, res) => {
        res.socket!.end(Buffer.from(`HTTP/1.1 302 Found\r\nLocation: /api/1/stream/next\x9b[31m\xe2\x80\xae\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1'));
      }, (_req, res) => json(res, 409, { error: 'conflict', error_description: evil }));
      server.otherwise((_req, res) => json(res, 409, { error: 'conflict', error_description: evil }));
      const a = tail(['--url', server.url, '--verbose', '--cooldown', '30'], { LIVESTREAM_ACCESS_TOKEN: 'tok-12345678' });
      await until(() => /cooling down/.test(a.stderr()), 10_000, 'the cooldown line');
      a.kill('SIGINT');
      assert.equal(await a.exit, 0);
      assert.equal(server.requests[1]!.url, '/api/1/stream/next%C2%9B[31m%C3%A2%C2%80%C2%AE', 'the redirect was followed');
      const stderrA = a.stderr();
      assert.ok(!RAW_CONTROL.test(stderrA), `raw control in stderr: ${JSON.stringify(stderrA)}`);
      assert.ok(stderrA.includes('slot held \\x1b]0;pwned\\x07 \\x1b[31mRED\\x1b[0m \\x9b2J \\u202eevil\\u202c\\x0d\\x0aforged: connected\\x7f'), stderrA);
      assert.ok(!/^forged/m.test(stderrA), 'no forged line');

      // A permanent error with a plain-text body: the final "stopped" line is escaped too.
      await server.close();
      server = await ScriptedServer.start();
      server.otherwise((_req, res) => { res.writeHead(404, { 'content-type': 'text/plain' }); res.end(`no such stream ${evil}`); });
      const b = tail(['--url', server.url], { LIVESTREAM_ACCESS_TOKEN: 'tok-12345678' });
      assert.equal(await b.exit, 3);
      const stderrB = b.stderr();
      assert.ok(!RAW_CONTROL.test(stderrB), `raw control in stderr: ${JSON.stringify(stderrB)}`);
      assert.match(stderrB, /livestream: stopped: 404 HTTP 404: no such stream slot held \\x1b\]0;pwned\\x07/);
    });
  });
});
