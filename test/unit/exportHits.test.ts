import { parseRecord } from '../../src/shared/losslessJson';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { csvCell, exportHits } from '../../src/analytics/exportHits';
import type { ExportFormat } from '../../src/analytics/exportFormat';

// The production parser (tested on its own in losslessJson.test.ts).
const parseLossless = parseRecord;

const fixtureText = readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8');
// As it comes off the stream: one line.
const rawLine = fixtureText.replace(/\s*\r?\n\s*/g, ' ').trim();

function hit(raw: string, receivedAt = Date.UTC(2024, 0, 2, 3, 4, 5, 678)) {
  return { raw, data: parseLossless(raw), receivedAt };
}

const all = (format: ExportFormat, hits: Iterable<{ raw: string; data: Record<string, unknown>; receivedAt: number }>) => [...exportHits(hits, format)].join('');

/** Minimal RFC 4180 reader for checking the writer. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      cell += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(cell); cell = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i += 2; continue; }
    cell += c; i++;
  }
  assert.equal(cell, '');
  assert.equal(row.length, 0, 'the last row ends with CRLF');
  return rows;
}

describe('exportHits', () => {
  const raws = [rawLine, '{"pageName":"Second","hitIdHigh":12345678901234567890,"hitIdLow":1}', '{"pageName":"Third"}'];

  describe('ndjson', () => {
    it('writes the exact record texts one per line', () => {
      const out = all('ndjson', raws.map((r) => hit(r)));
      assert.equal(out, raws.join('\n') + '\n');
      assert.ok(out.includes('4948646782672799561'));
      assert.ok(out.includes('12345678901234567890'));
    });
    it('keeps one record per line even if a raw text has line breaks or a CRLF', () => {
      const out = all('ndjson', [hit('{"a":\r\n1}\r\n'), hit(fixtureText)]);
      const lines = out.split('\n');
      assert.equal(lines.length, 3);
      assert.equal(lines[2], '');
      assert.deepEqual(JSON.parse(lines[0]!), { a: 1 });
      assert.ok(lines[1]!.includes('4948646782672799561'));
    });
    it('writes nothing for no hits', () => {
      assert.equal(all('ndjson', []), '');
    });
  });

  describe('json', () => {
    it('is an array of the raw records with digits intact', () => {
      const out = all('json', raws.map((r) => hit(r)));
      const parsed = JSON.parse(out) as unknown[];
      assert.equal(parsed.length, 3);
      assert.equal((parsed[2] as { pageName: string }).pageName, 'Third');
      assert.ok(out.includes('"hitIdLow": 4948646782672799561'));
      assert.ok(out.includes('"hitIdHigh":12345678901234567890'));
      assert.ok(!out.includes('"4948646782672799561"'), 'ids are not re-serialized as strings');
    });
    it('is an empty array for no hits', () => {
      assert.deepEqual(JSON.parse(all('json', [])), []);
    });
    it('falls back to the parsed data when a hit has no raw text', () => {
      const out = all('json', [{ raw: '', data: { pageName: 'x' }, receivedAt: 0 }]);
      assert.deepEqual(JSON.parse(out), [{ pageName: 'x' }]);
    });
  });

  describe('csv', () => {
    it('has a header and one row per hit with decoded columns', () => {
      const rows = readCsv(all('csv', [hit(rawLine)]));
      assert.deepEqual(rows[0], ['receivedAt', 'hitTime', 'type', 'reportSuite', 'pageName', 'pageURL', 'events', 'visitor', 'hitIdHigh', 'hitIdLow']);
      assert.deepEqual(rows[1], ['2024-01-02T03:04:05.678Z', '2013-07-02T16:22:59Z', 'commerce', 'examplecomprod', 'Page #8552',
        'http://example.com/page8552.html', 'event1, event61=3', '1944017885723175213:2512895455560210216', '2948027281753079808', '4948646782672799561']);
      assert.equal(rows.length, 2);
    });
    it('quotes commas, quotes and line breaks (RFC 4180)', () => {
      const data = { pageName: 'a, "b"\r\nc', reportSuite: 'x' };
      const out = all('csv', [{ raw: JSON.stringify(data), data, receivedAt: 0 }]);
      assert.ok(out.includes('"a, ""b""\r\nc"'));
      assert.equal(readCsv(out)[1]![4], 'a, "b"\r\nc');
    });
    it('defuses formula injection', () => {
      for (const evil of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
        const data = { pageName: evil };
        const cell = readCsv(all('csv', [{ raw: JSON.stringify(data), data, receivedAt: 0 }]))[1]![4];
        assert.equal(cell, `'${evil}`);
      }
      assert.equal(csvCell('Home'), 'Home');
      assert.equal(csvCell('=1,2'), '"\'=1,2"');
    });
    it('round-trips any text through a CSV reader (property)', () => {
      fc.assert(fc.property(fc.string(), (s) => {
        const cell = readCsv(csvCell(s) + '\r\n')[0]![0]!;
        assert.equal(cell, /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
      }));
    });
    it('copes with odd data', () => {
      const rows = readCsv(all('csv', [{ raw: '', data: { pageName: 42, timeGMT: 'x', reportSuite: null }, receivedAt: NaN }]));
      assert.deepEqual(rows[1], ['', '', 'page', '', '42', '', '', '', '', '']);
    });
  });

  it('yields several bounded chunks for a large export, lazily', () => {
    let pulled = 0;
    function* many() { for (let i = 0; i < 2000; i++) { pulled++; yield hit(rawLine); } }
    const it = exportHits(many(), 'ndjson')[Symbol.iterator]();
    const first = it.next();
    assert.ok(!first.done && first.value.length >= 64 * 1024 && first.value.length < 70 * 1024);
    assert.ok(pulled < 2000, 'does not consume all hits for the first chunk');
    let rest = first.value;
    for (let r = it.next(); !r.done; r = it.next()) rest += r.value;
    assert.equal(rest.split('\n').length, 2001);
  });
});
