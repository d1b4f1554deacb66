import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mineTerm } from '../../src/analytics/filter/mineTerm';
import { isFollowableId, shortId, visitorIdsOf } from '../../src/analytics/visitorIds';
import { parseRecord } from '../../src/shared/losslessJson';

const fixture = () => parseRecord(readFileSync(join(__dirname, '../fixtures/adobe-sample-hit.json'), 'utf8'));

describe('visitor ids (Follow this visitor)', () => {
  it('offers the Adobe sample hit\'s visitor id (exact 64-bit digits), custom visitor id and IP, most specific first', () => {
    assert.deepEqual(visitorIdsOf(fixture()).map((v) => [v.kind, v.value]), [
      ['visitorId', '1944017885723175213:2512895455560210216'],
      ['customVisitorId', '420520'],
      ['ip', '91.71.30.70'],
    ]);
  });

  it('builds the 38-digit ECID from mcVisIdHigh/mcVisIdLow (zero-padded halves), or takes mcVisId as is', () => {
    const ids = visitorIdsOf({ mcVisIdHigh: '123', mcVisIdLow: '8765432109876543210' });
    assert.deepEqual(ids.map((v) => [v.kind, v.value]), [['ecid', '00000000000000001238765432109876543210']]);
    const wide = { mcVisIdHigh: '18446744073709551615', mcVisIdLow: '7' };
    assert.deepEqual(visitorIdsOf(wide).map((v) => v.value), ['18446744073709551615:7'], 'a 20-digit half: high:low');
    assert.equal(mineTerm(['18446744073709551615:7'])(wide), true);
    const mc = '12345678901234567890123456789012345678';
    assert.deepEqual(visitorIdsOf({ mcVisId: mc, mcVisIdHigh: '1', mcVisIdLow: '2' }).map((v) => v.value), [mc]);
  });

  it('leaves out absent, zero, malformed and hostile ids', () => {
    assert.deepEqual(visitorIdsOf({ visIdHigh: '0', visIdLow: '0', mcVisIdHigh: 'x', mcVisIdLow: '1', customVisId: '', ip: '<script>' }), []);
    assert.deepEqual(visitorIdsOf({ customVisId: 'a\u202eb' }), []);
    assert.deepEqual(visitorIdsOf({ customVisId: 'x'.repeat(201) }), []);
    assert.deepEqual(visitorIdsOf(null), []);
    assert.deepEqual(visitorIdsOf({ __proto__: { customVisId: 'inherited' } }), []);
    assert.equal(isFollowableId(' padded'), false);
    assert.equal(isFollowableId('line\nbreak'), false);
    assert.equal(isFollowableId('420520'), true);
  });

  it('each offered id, put in liveStream.myTraffic, makes is:mine match that hit and not another visitor\'s', () => {
    const hit = fixture();
    const other = { ...fixture(), visIdHigh: '1', visIdLow: '2', customVisId: '999', ip: '10.0.0.1', pageURL: 'http://other.example/' };
    for (const id of visitorIdsOf(hit)) {
      const mine = mineTerm([id.value]);
      assert.equal(mine(hit), true, id.kind);
      assert.equal(mine(other), false, id.kind);
    }
    const ecidHit = { mcVisIdHigh: '123', mcVisIdLow: '8765432109876543210' };
    const [ecid] = visitorIdsOf(ecidHit);
    assert.equal(mineTerm([ecid!.value])(ecidHit), true);
    assert.equal(mineTerm([ecid!.value])({ mcVisIdHigh: '124', mcVisIdLow: '8765432109876543210' }), false);
  });

  it('shortens long ids for buttons', () => {
    assert.equal(shortId('1944017885723175213:2512895455560210216'), '1944017885…60210216');
    assert.equal(shortId('420520'), '420520');
  });
});
