import { strict as assert } from 'node:assert';
import { gzipSync, gunzipSync, createGunzip, constants } from 'node:zlib';
import fc from 'fast-check';
import { RecordSplitter } from '../../src/stream/recordSplitter';

function collect(max?: number) {
  const records: string[] = [];
  const oversized: number[] = [];
  const s = new RecordSplitter({ record: (t) => records.push(t), oversized: (b) => oversized.push(b) }, max);
  return { s, records, oversized };
}

/** Feeds a gzip stream through a real streaming gunzip, cutting the compressed bytes at `cuts`. */
async function throughGunzip(gz: Buffer, cuts: number[], splitter: RecordSplitter): Promise<void> {
  const g = createGunzip();
  g.on('data', (c: Buffer) => splitter.push(c));
  const done = new Promise<void>((res, rej) => { g.on('end', res); g.on('error', rej); });
  let prev = 0;
  for (const c of [...cuts, gz.length]) {
    if (c > prev) g.write(gz.subarray(prev, c));
    prev = Math.max(prev, c);
  }
  g.end();
  await done;
}

describe('RecordSplitter', () => {
  const records = ['{"a":"héllo wörld ✓ 𝄞"}', '{"b":2}', '{"c":"日本語テキスト"}'];
  const body = Buffer.from(`${records[0]}\r\n\r\n${records[1]}\n \n${records[2]}\r\n`, 'utf8');

  it('splits on LF, strips CR and skips empty records', () => {
    const { s, records: out } = collect();
    s.push(body);
    assert.deepEqual(out, records);
  });

  it('every single cut point of the decompressed bytes yields the same records (multi-byte chars cut too)', () => {
    for (let cut = 0; cut <= body.length; cut++) {
      const { s, records: out } = collect();
      s.push(body.subarray(0, cut));
      s.push(body.subarray(cut));
      assert.deepEqual(out, records, `cut at ${cut}`);
    }
  });

  it('every cut point of the gzip stream, through a real streaming gunzip, yields the same records', async () => {
    // Small deflate blocks put gzip block boundaries inside records too.
    const gz = gzipSync(body, { level: 9, chunkSize: 64, strategy: constants.Z_FILTERED });
    assert.deepEqual(gunzipSync(gz), body);
    for (let cut = 0; cut <= gz.length; cut++) {
      const { s, records: out } = collect();
      await throughGunzip(gz, [cut], s);
      assert.deepEqual(out, records, `gzip cut at ${cut}`);
    }
  });

  it('property: any records, cut anywhere, byte by byte or in random pieces, come out whole and in order', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((x) => x.replace(/[\r\n]/g, '_')).filter((x) => x.trim() !== ''), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.boolean(),
      (recs, rawCuts, crlf) => {
        const buf = Buffer.from(recs.map((r) => r + (crlf ? '\r\n' : '\n')).join(''), 'utf8');
        const cuts = [...new Set(rawCuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
        const { s, records: out } = collect();
        let prev = 0;
        for (const c of [...cuts, buf.length]) { s.push(buf.subarray(prev, c)); prev = c; }
        assert.deepEqual(out, recs);
      },
    ), { numRuns: 400 });
  });

  it('drops an oversized record without buffering it whole, then carries on', () => {
    const { s, records: out, oversized } = collect(100);
    s.push(Buffer.from('{"ok":1}\n'));
    // 10 000 bytes of one record, in 100-byte pieces: never more than the limit held.
    for (let i = 0; i < 100; i++) {
      s.push(Buffer.alloc(100, 0x61));
      assert.ok(s.bufferedBytes <= 100, `buffered ${s.bufferedBytes}`);
    }
    s.push(Buffer.from('\n{"ok":2}\n'));
    assert.deepEqual(out, ['{"ok":1}', '{"ok":2}']);
    assert.equal(oversized.length, 1);
    assert.equal(oversized[0], 10_000);
  });

  it('drops an oversized record that arrives in one chunk', () => {
    const { s, records: out, oversized } = collect(10);
    s.push(Buffer.from('{"x":"0123456789"}\n{"y":1}\n'));
    assert.deepEqual(out, ['{"y":1}']);
    assert.equal(oversized.length, 1);
  });

  it('end() discards a partial record and reports its size', () => {
    const { s, records: out } = collect();
    s.push(Buffer.from('{"a":1}\n{"b":'));
    assert.equal(s.end().discardedBytes, 5);
    assert.deepEqual(out, ['{"a":1}']);
  });
});
