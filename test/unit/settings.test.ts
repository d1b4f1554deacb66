import { strict as assert } from 'node:assert';
import manifest from '../../package.json';
import { defaultOf, parseSettings, settingId, RECONNECT_KEYS } from '../../src/session/settings';
import { DEFAULT_COOLDOWN_MS } from '../../src/stream/reconnectPolicy';

describe('settings', () => {
  it('defaults come from package.json and match the engine\'s own defaults', () => {
    const { settings, problems } = parseSettings(() => undefined);
    assert.deepEqual(problems, []);
    assert.equal(settings.reconnectCooldownSeconds * 1000, DEFAULT_COOLDOWN_MS);
    assert.equal(settings.maxHits, 5000);
    assert.equal(settings.idleTimeoutSeconds, 0);
    assert.equal(settings.autoReconnect, true);
    assert.equal(settings.imsUrl, 'https://ims-na1.adobelogin.com/ims/token/v3');
    for (const k of RECONNECT_KEYS) assert.ok(settingId(k) in manifest.contributes.configuration.properties, k);
  });

  it('a bad value falls back to the default and names the setting', () => {
    const values: Record<string, unknown> = { maxConnections: 9, smoothingBucketSize: 0, reset: 'earliest', autoReconnect: 'yes', 'auth.method': 'jwt', myTraffic: [1], reconnectCooldownSeconds: -5 };
    const { settings, problems } = parseSettings((k) => values[k]);
    assert.equal(settings.maxConnections, defaultOf('maxConnections'));
    assert.equal(settings.reset, '');
    assert.deepEqual(problems.map((p) => p.setting).sort(), ['liveStream.auth.method', 'liveStream.autoReconnect', 'liveStream.maxConnections', 'liveStream.myTraffic', 'liveStream.reconnectCooldownSeconds', 'liveStream.reset', 'liveStream.smoothingBucketSize']);
    assert.match(problems.find((p) => p.setting === 'liveStream.maxConnections')!.message, /at most 8, got 9/);
  });

  it('the description of the cooldown says why lower values cause 409s', () => {
    const d = manifest.contributes.configuration.properties['liveStream.reconnectCooldownSeconds'].markdownDescription;
    assert.match(d, /409/);
  });
});
