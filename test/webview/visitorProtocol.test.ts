import assert from 'node:assert/strict';
import { isHostToWebview, isWebviewToHost, LIMITS } from '../../src/shared/protocol';

describe('protocol validators for follow / golden hits (issue 13, plain Node)', () => {
  it('accepts the well-formed webview messages', () => {
    for (const m of [
      { type: 'follow', id: '1944017885723175213:2512895455560210216' }, { type: 'follow', id: '91.71.30.70' },
      { type: 'unfollow', id: 'example.com' }, { type: 'saveGolden', seq: 0 }, { type: 'listGolden' }, { type: 'loadGolden', name: 'checkout.json' },
    ]) assert.equal(isWebviewToHost(m), true, JSON.stringify(m));
  });

  it('rejects malformed, oversized or hostile webview messages', () => {
    for (const m of [
      { type: 'follow' }, { type: 'follow', id: '' }, { type: 'follow', id: 7 }, { type: 'follow', id: 'x'.repeat(201) }, { type: 'follow', id: 'a\nb' },
      { type: 'follow', id: ' padded' }, { type: 'follow', id: 'a\u202eb' }, { type: 'follow', id: 'x', extra: 1 }, { type: 'unfollow', id: null },
      { type: 'saveGolden', seq: -1 }, { type: 'saveGolden', seq: '3' }, { type: 'saveGolden' }, { type: 'listGolden', path: '/etc' },
      { type: 'loadGolden', name: '' }, { type: 'loadGolden', name: 'x'.repeat(LIMITS.goldenNameChars + 1) }, { type: 'loadGolden' },
    ]) assert.equal(isWebviewToHost(m), false, JSON.stringify(m).slice(0, 80));
  });

  it('checks the host\'s followState, goldenList and goldenHit strictly', () => {
    assert.equal(isHostToWebview({ type: 'followState', entries: ['1:2'] }), true);
    assert.equal(isHostToWebview({ type: 'followState', entries: [], since: 5 }), true);
    assert.equal(isHostToWebview({ type: 'followState', entries: [1] }), false);
    assert.equal(isHostToWebview({ type: 'followState', entries: 'x' }), false);
    assert.equal(isHostToWebview({ type: 'followState', entries: [], since: 'now' }), false);
    assert.equal(isHostToWebview({ type: 'followState', entries: new Array(1001).fill('x') }), false);
    assert.equal(isHostToWebview({ type: 'goldenList', names: ['a.json'], skipped: 0 }), true);
    assert.equal(isHostToWebview({ type: 'goldenList', names: [], skipped: 0, error: 'no folder' }), true);
    assert.equal(isHostToWebview({ type: 'goldenList', names: [3], skipped: 0 }), false);
    assert.equal(isHostToWebview({ type: 'goldenList', names: [], skipped: -1 }), false);
    assert.equal(isHostToWebview({ type: 'goldenHit', name: 'a.json', data: { pageName: 'x' } }), true);
    assert.equal(isHostToWebview({ type: 'goldenHit', name: 'a.json', error: 'too big' }), true);
    assert.equal(isHostToWebview({ type: 'goldenHit', name: 'a.json' }), false, 'data or error');
    assert.equal(isHostToWebview({ type: 'goldenHit', name: 'a.json', data: [1] }), false);
    assert.equal(isHostToWebview({ type: 'goldenHit', name: 'a.json', data: {}, error: 'both' }), false);
  });
});
