import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { ESLint } from 'eslint';

/**
 * The folder boundaries of src/ (eslint.config.mjs) fire: each line below is
 * linted as if it were a file in that folder. A rule that silently stopped
 * matching (a changed regex, a moved folder) fails here, not in review.
 */
const root = join(__dirname, '..', '..');

const FORBIDDEN: [folder: string, code: string][] = [
  ['src/analytics/x.ts', "import { readFileSync } from 'node:fs';"],
  ['src/analytics/x.ts', "import { readFileSync } from 'fs';"],
  ['src/analytics/x.ts', "import { request } from 'undici';"],
  ['src/analytics/rules/x.ts', "import { readFileSync } from 'node:fs';"],
  ['src/analytics/x.ts', "import * as vscode from 'vscode';"],
  ['src/analytics/x.ts', "import { LiveStreamError } from '../stream/errors';"],
  ['src/analytics/x.ts', "import type { Hit } from '../shared/model';"],
  ['src/analytics/filter/x.ts', "import { parseRecord } from '../../stream/losslessJson';"],
  ['src/analytics/x.ts', "export const later = () => import('../session/settings');"],
  ['src/shared/x.ts', "import { createHash } from 'node:crypto';"],
  ['src/shared/x.ts', "import { escapeControls } from '../stream/logger';"],
  ['src/stream/x.ts', "import { defaultOf } from '../session/settings';"],
  ['src/stream/x.ts', "import { Controller } from '../host/controller';"],
  ['src/stream/x.ts', "import * as vscode from 'vscode';"],
  ['src/stream/x.ts', "export const later = () => import('../session/connectionRuntime');"],
  ['src/session/x.ts', "import { HitsPanel } from '../host/hitsPanel';"],
  ['src/session/x.ts', "import type * as vscode from 'vscode';"],
  ['src/mock/x.ts', "import { LiveStreamEngine } from '../stream/liveStreamEngine';"],
  ['src/cli/x.ts', "import { Controller } from '../host/controller';"],
  ['src/relay/x.ts', "import { StreamService } from '../session/streamService';"],
  ['src/relay/x.ts', "import { request } from 'undici';"],
  ['src/relay/x.ts', "import * as vscode from 'vscode';"],
  ['src/stream/x.ts', "import Redis from 'ioredis';"],
  ['src/webview/x.ts', "import { redact } from '../stream/logger';"],
  ['src/webview/x.ts', "import { HitStore } from '../session/hitStore';"],
  ['src/webview/x.ts', "import { join } from 'node:path';"],
  ['src/webview/x.ts', "import { request } from 'undici';"],
  ['src/webview/x.ts', "import manifest from '../../package.json';"],
  ['src/host/x.ts', "import { main } from '../webview/main';"],
  ['src/newFolder/x.ts', "import * as vscode from 'vscode';"],
  ['src/other.ts', "import * as vscode from 'vscode';"],
];

const ALLOWED: [folder: string, code: string][] = [
  ['src/analytics/x.ts', "import { RE2JS } from 're2js';"],
  ['src/analytics/filter/x.ts', "import { own } from '../recordAccess';"],
  ['src/analytics/rules/x.ts', "import { parseTree } from 'jsonc-parser';\nimport { compileFilter } from '../filter/compileFilter';"],
  ['src/shared/x.ts', "import type { ExportFormat } from '../analytics/exportFormat';"],
  ['src/stream/x.ts', "import { request } from 'undici';\nimport { createGunzip } from 'node:zlib';\nimport type { Hit } from '../shared/model';"],
  ['src/session/x.ts', "import manifest from '../../package.json';\nimport { LiveStreamEngine } from '../stream/liveStreamEngine';\nexport const later = () => import('./connectionRuntime');"],
  ['src/webview/x.ts', "import uPlot from 'uplot';\nimport { compileFilter } from '../analytics/filter/compileFilter';\nimport type { Hit } from '../shared/model';"],
  ['src/host/x.ts', "import * as vscode from 'vscode';\nexport const later = () => import('../analytics/exportHits');"],
  ['src/extension.ts', "import * as vscode from 'vscode';"],
  ['src/relay/x.ts', "import Redis from 'ioredis';\nimport { parseRecord } from '../shared/losslessJson';\nimport type { StoredHit } from '../shared/model';"],
  ['src/session/x.ts', "export const later = () => import('../relay/relayViewer');"],
  ['src/cli/x.ts', "import { Relay } from '../relay/relay';"],
];

describe('folder boundaries (eslint.config.mjs)', function () {
  this.timeout(30_000);
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string) =>
    (await eslint.lintText(`${code}\n`, { filePath: join(root, file) }))[0]!.messages
      .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax');

  for (const [file, code] of FORBIDDEN) {
    it(`refuses in ${file}: ${code}`, async () => {
      const errors = await lint(file, code);
      assert.equal(errors.length, 1, JSON.stringify(errors));
    });
  }
  it('allows what each folder may import', async () => {
    for (const [file, code] of ALLOWED) assert.deepEqual(await lint(file, code), [], `${file}: ${code}`);
  });
});
