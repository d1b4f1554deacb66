// Runs the real CLI bundle (dist/cli.js) as a child process, for the CLI tests.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
export const CLI = join(root, 'dist/cli.js');

/** Builds the CLI bundle fresh, so the tests exercise the real bundle of this tree. */
export function buildCli(): void {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--only=cli'], { cwd: root, stdio: 'inherit' });
  assert.ok(existsSync(CLI));
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Non-empty stdout lines. */
  lines: () => string[];
  exit: Promise<number | null>;
  /** Signals the child unless it has exited. */
  kill: (s: NodeJS.Signals) => void;
}

/** Starts `node dist/cli.js ...args` with a minimal environment plus `env`. */
export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child, stdout: () => out, stderr: () => err, lines: () => out.split('\n').filter(Boolean), exit,
    kill: (s) => { if (child.exitCode === null) child.kill(s); },
  };
}
