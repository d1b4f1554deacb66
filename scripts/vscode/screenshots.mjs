// Regenerates the README images: runs the integration suite twice, dark and
// light theme, with screenshots going to media/<name>-dark.png / -light.png.
// The suite decides what to shoot (requestScreenshot in test/integration/harness.ts);
// tests can check `screenshotsForReadme` to shoot README-only views.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './codeServer.mjs';

const runs = [
  { theme: 'Default Dark Modern', suffix: '-dark' },
  { theme: 'Default Light Modern', suffix: '-light' },
];

let first = true;
for (const { theme, suffix } of runs) {
  console.log(`[screenshots] ${theme} -> media/*${suffix}.png`);
  const args = [join(repoRoot, 'scripts/vscode/runIntegration.mjs'), '--theme', theme, ...(first ? [] : ['--no-build'])];
  first = false;
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: 'inherit',
      env: { ...process.env, LIVESTREAM_SCREENSHOT_DIR: process.env.LIVESTREAM_SCREENSHOT_DIR || 'media', LIVESTREAM_SCREENSHOT_SUFFIX: suffix },
    });
    // Ctrl-C reaches the child through the terminal; it cleans up and exits.
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    console.error(`[screenshots] the ${theme} run failed (exit ${code}); media/ may be partly updated`);
    process.exit(code);
  }
}
console.log('[screenshots] done');
