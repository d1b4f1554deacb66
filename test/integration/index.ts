// Standard mocha `run()` index loaded by the extension host, shared by both
// runners (code-server: scripts/vscode/runIntegration.mjs; desktop VS Code:
// scripts/vscode/runElectron.mjs). Tests are found by glob: every *.test.js
// next to this file once built to out/integration/.
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Printed last; the code-server runner turns it into "integration: N passed, N failed". */
const RESULT_MARKER = 'livestream-integration-result ';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    // The extension host's stdout is not a TTY; the runner says whether its own is.
    color: process.env.LIVESTREAM_TEST_COLOR !== '0',
    timeout: 60_000,
    grep: process.env.LIVESTREAM_TEST_GREP || undefined,
  });
  const files = readdirSync(__dirname, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    // The firehose drill last: it loads both cores and leaves thousands of heavy hits and a scrolled
    // panel behind, which the suites after it would otherwise inherit; otherwise alphabetical.
    .sort((x, y) => Number(x.includes('firehose')) - Number(y.includes('firehose')) || x.localeCompare(y));
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js under ${__dirname}: was the suite built?`));
  for (const f of files) mocha.addFile(join(__dirname, f));

  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0, tests: 0 };
      console.log(RESULT_MARKER + JSON.stringify({ passes: stats.passes, failures: stats.failures, pending: stats.pending }));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (stats.passes === 0) reject(new Error('no integration test ran (check LIVESTREAM_TEST_GREP)'));
      else resolve();
    });
  });
}
