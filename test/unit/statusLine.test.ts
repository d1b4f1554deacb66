import { strict as assert } from 'node:assert';
import { StatusLine } from '../../src/cli/statusLine';

/** A stand-in for a terminal stream (named as such): records what is written. */
function fakeTty(columns = 20) {
  const writes: string[] = [];
  return { writes, tty: { columns, write: (s: string) => { writes.push(s); return true; } } as unknown as NodeJS.WriteStream };
}

describe('StatusLine (CLI, terminal only)', () => {
  it('draws one line, truncated to the terminal width, and clears it before other output', () => {
    const { writes, tty } = fakeTty(20);
    let text = 'connected · 42.3 hits/s · 1234 received';
    const s = new StatusLine(tty, () => text);
    assert.equal(writes.length, 1);
    assert.equal(writes[0], `\r\x1b[2K\x1b[2m${text.slice(0, 19)}\x1b[0m`);
    s.clear();
    assert.equal(writes[1], '\r\x1b[2K');
    s.clear();
    assert.equal(writes.length, 2, 'clearing twice writes nothing');
    text = 'cooling down';
    s.redraw();
    assert.match(writes[2], /cooling down/);
    s.stop();
    assert.equal(writes[3], '\r\x1b[2K');
  });
});
