import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GOLDEN_DIR, GoldenError, MAX_GOLDEN_BYTES, MAX_GOLDEN_FILES, goldenFileName, isGoldenName, listGolden, readGolden, saveGolden,
} from '../../src/host/golden';

const sample = readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8');

describe('golden hits (.vscode/livestream-golden/*.json)', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'lsi-golden-')); });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  it('saves the exact record text and reads it back with every digit of the 64-bit ids', async () => {
    const path = await saveGolden(root, 'checkout.json', sample);
    assert.equal(path, join(root, GOLDEN_DIR, 'checkout.json'));
    assert.deepEqual(readFileSync(path), Buffer.from(sample, 'utf8'), 'byte for byte');
    const data = await readGolden(root, 'checkout.json');
    assert.equal(data.hitIdLow, '4948646782672799561');
    assert.equal(data.visIdHigh, '1944017885723175213');
    assert.deepEqual(await listGolden(root), { names: ['checkout.json'], skipped: 0 });
  });

  it('the file appears whole: a watcher that reads it as soon as it exists reads every byte; no temporary file is left', async () => {
    const big = `{"hitIdHigh":1,"hitIdLow":2,"pageName":"${'x'.repeat(4 * 1024 * 1024)}"}`;
    const dir = join(root, GOLDEN_DIR);
    mkdirSync(dir, { recursive: true });
    const seen: number[] = [];
    const w = watch(dir, (_e, f) => {
      if (f !== 'big.json') return;
      try { seen.push(readFileSync(join(dir, 'big.json')).length); } catch { /* not there yet */ }
    });
    try {
      await saveGolden(root, 'big.json', big);
      await new Promise((r) => setTimeout(r, 100));
    } finally { w.close(); }
    assert.ok(seen.length > 0, 'the watcher saw the file');
    assert.deepEqual([...new Set(seen)], [big.length], `sizes read as it appeared: ${seen.join(', ')}`);
    assert.deepEqual(readdirSync(dir), ['big.json']);
  });

  it('never overwrites, and refuses names that could leave the folder', async () => {
    await saveGolden(root, 'a.json', '{}');
    await assert.rejects(saveGolden(root, 'a.json', '{"x":1}'), (e: Error) => e instanceof GoldenError && /already exists/.test(e.message));
    assert.equal(readFileSync(join(root, GOLDEN_DIR, 'a.json'), 'utf8'), '{}');
    assert.deepEqual(readdirSync(join(root, GOLDEN_DIR)), ['a.json'], 'the refused attempt left nothing behind');
    for (const bad of ['../x.json', 'a/b.json', '.hidden.json', 'x.txt', '..json', 'a..json', `${'x'.repeat(120)}.json`, '']) {
      assert.equal(isGoldenName(bad), false, bad);
      await assert.rejects(saveGolden(root, bad, '{}'), GoldenError, bad);
      await assert.rejects(readGolden(root, bad), GoldenError, bad);
    }
  });

  it('makes a file name from a page name', () => {
    assert.equal(goldenFileName('Checkout: Confirmation / Step 3'), 'Checkout-Confirmation-Step-3.json');
    assert.equal(goldenFileName('../../etc/passwd'), 'etc-passwd.json');
    assert.equal(goldenFileName('\u202e<script>'), 'script.json');
    assert.equal(goldenFileName('???'), 'golden-hit.json');
    assert.ok(isGoldenName(goldenFileName('x'.repeat(500))));
  });

  it('reads workspace files as untrusted: size, shape, symlinks, depth and count are bounded with clear errors', async () => {
    const dir = join(root, GOLDEN_DIR);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'big.json'), `{"a":"${'x'.repeat(MAX_GOLDEN_BYTES)}"}`);
    writeFileSync(join(dir, 'array.json'), '[1,2]');
    writeFileSync(join(dir, 'broken.json'), '{"a":');
    writeFileSync(join(dir, 'deep.json'), '['.repeat(100) + ']'.repeat(100));
    writeFileSync(join(dir, 'deepobj.json'), `{"a":${'['.repeat(100)}${']'.repeat(100)}}`);
    writeFileSync(join(root, 'secret.txt'), '{"token":"s3cret"}');
    symlinkSync(join(root, 'secret.txt'), join(dir, 'link.json'));
    await assert.rejects(readGolden(root, 'big.json'), /at most 1048576 bytes/);
    await assert.rejects(readGolden(root, 'array.json'), /not a Live Stream record.*JSON object/);
    await assert.rejects(readGolden(root, 'broken.json'), /not a Live Stream record/);
    await assert.rejects(readGolden(root, 'deep.json'), /not a Live Stream record/);
    await assert.rejects(readGolden(root, 'deepobj.json'), /nested too deeply/);
    await assert.rejects(readGolden(root, 'link.json'), /symbolic link/);
    await assert.rejects(readGolden(root, 'missing.json'), /no longer exists/);
    const listed = await listGolden(root);
    assert.ok(!listed.names.includes('link.json'), 'symlinks are not listed');
    for (let i = 0; i < MAX_GOLDEN_FILES + 5; i++) writeFileSync(join(dir, `h${String(i).padStart(3, '0')}.json`), '{}');
    const many = await listGolden(root);
    assert.equal(many.names.length, MAX_GOLDEN_FILES);
    assert.ok(many.skipped >= 5 + 1, String(many.skipped));
  });

  it('an absent folder is an empty list', async () => {
    assert.deepEqual(await listGolden(root), { names: [], skipped: 0 });
  });
});
