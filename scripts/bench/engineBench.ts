/**
 * Engine benchmark: end-to-end hits/s through the real CLI (loopback HTTP,
 * gzip, chunked, stdout to a pipe) next to the practical limit measured in the
 * same run (the same payload gunzipped, split and JSON.parse'd in a tight loop).
 * Ratios, not absolute numbers, are what to compare across noisy machines.
 * BENCH_CLI_PROF_DIR=dir writes a V8 CPU profile of the CLI there (where the time goes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { payload, serveForever } from './benchStream';
import { parseRecord } from '../../src/shared/losslessJson';

const root = join(__dirname, '../..');
const json = process.argv.includes('--json');

/** The practical limit: gunzip + split + JSON.parse in one tight loop (best of 3). */
function baseline(gz: Buffer, n: number): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    const text = gunzipSync(gz).toString('utf8');
    let count = 0;
    for (const line of text.split('\n')) {
      const l = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (l) { JSON.parse(l); count++; }
    }
    if (count !== n) throw new Error(`baseline parsed ${count}/${n}`);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return n / best;
}

/** Our own parse path alone (lossless quoting + parse), for the table. */
function parseOnly(raw: Buffer, n: number): number {
  const lines = raw.toString('utf8').split('\r\n').filter(Boolean);
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    for (const l of lines) parseRecord(l);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return n / best;
}

async function endToEnd(gz: Buffer, n: number): Promise<{ hitsPerSecond: number; peakRssMiB: number }> {
  const { server, port } = await serveForever(gz);
  const stateDir = mkdtempSync(join(tmpdir(), 'lsi-bench-'));
  const child = spawn(process.execPath, [...(process.env.BENCH_CLI_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLI_PROF_DIR}`] : []), ...(process.env.BENCH_CLI_HEAP_MB ? [`--max-old-space-size=${process.env.BENCH_CLI_HEAP_MB}`] : []), join(root, 'dist/cli.js'), 'tail', '--url', `http://127.0.0.1:${port}/api/1/stream/bench`, '--force', '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let t0 = 0;
  let peak = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch { /* process gone */ }
  };
  const sampler = setInterval(sample, 50);
  const done = new Promise<number>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      if (!t0) t0 = performance.now();
      let i = -1;
      while ((i = d.indexOf(10, i + 1)) !== -1) lines++;
      if (lines >= n) resolve(performance.now());
    });
  });
  const end = await done;
  sample();
  clearInterval(sampler);
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
  server.closeAllConnections();
  server.close();
  rmSync(stateDir, { recursive: true, force: true });
  // The first stdout chunk starts the clock, so process start-up is not counted.
  return { hitsPerSecond: n / ((end - t0) / 1000), peakRssMiB: peak };
}

async function main() {
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, number> = {};
  for (const n of [100_000, 300_000]) {
    const { gz, raw } = payload(n);
    const limit = baseline(gz, n);
    const ours = parseOnly(raw, n);
    const e2e = await endToEnd(gz, n);
    results[`e2e_${n}`] = e2e.hitsPerSecond;
    results[`limit_${n}`] = limit;
    results[`ratio_${n}`] = e2e.hitsPerSecond / limit;
    results[`rss_${n}`] = e2e.peakRssMiB;
    rows.push({
      hits: n,
      'payload (MiB raw/gz)': `${(raw.length / 2 ** 20).toFixed(0)}/${(gz.length / 2 ** 20).toFixed(1)}`,
      'limit: gunzip+split+JSON.parse (hits/s)': Math.round(limit),
      'lossless parse only (hits/s)': Math.round(ours),
      'CLI end-to-end to a pipe (hits/s)': Math.round(e2e.hitsPerSecond),
      'ratio e2e/limit': (e2e.hitsPerSecond / limit).toFixed(2),
      'CLI peak RSS (MiB)': e2e.peakRssMiB.toFixed(0),
    });
  }
  if (json) process.stdout.write(`${JSON.stringify({ rows, results })}\n`);
  else {
    console.log('Engine: end-to-end through the CLI vs. the practical limit (same run, same payload)');
    console.table(rows);
    console.log('Goal (issue 11): ratio ≥ 0.7 with peak RSS < 256 MiB, about the same for 100k and 300k hits (bounded memory).');
  }
}

void main();
