import manifest from '../../package.json';
import type { ImsDefaults } from '../stream/tokens';

/**
 * Settings have one home: defaults, ranges and enums live in package.json
 * `contributes.configuration`. This parser reads them from there and is
 * forgiving: a bad value falls back to the default and is reported, naming the
 * setting (vscode-eslint's `X.from(value)` habit).
 */
export interface Settings {
  streamUrl: string;
  maxConnections: number;
  reset: '' | 'smallest' | 'largest';
  smoothing: boolean;
  smoothingBucketSize: number;
  reconnectCooldownSeconds: number;
  idleTimeoutSeconds: number;
  autoReconnect: boolean;
  maxHits: number;
  myTraffic: string[];
  authMethod: 'accessToken' | 'clientCredentials';
  clientId: string;
  imsUrl: string;
  scopes: string;
  /** Hosts the user allowed to receive credentials (application scope: never from a workspace). */
  trustedHosts: string[];
  /** Where hits come from: Adobe directly, or a team relay through Redis. */
  source: 'adobe' | 'relay';
  /** The team relay's Redis URL (no password). */
  relayUrl: string;
  /** The relay's Redis Stream key ('' = derived). */
  relayKey: string;
}

interface PropSchema {
  type: string | string[];
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}

export const SETTINGS_SECTION = 'liveStream';
const PROPS = manifest.contributes.configuration.properties as unknown as Record<string, PropSchema>;

/** Setting key (without the section) for each field. */
const KEYS: Record<keyof Settings, string> = {
  streamUrl: 'streamUrl', maxConnections: 'maxConnections', reset: 'reset', smoothing: 'smoothing',
  smoothingBucketSize: 'smoothingBucketSize', reconnectCooldownSeconds: 'reconnectCooldownSeconds',
  idleTimeoutSeconds: 'idleTimeoutSeconds', autoReconnect: 'autoReconnect', maxHits: 'maxHits', myTraffic: 'myTraffic',
  authMethod: 'auth.method', clientId: 'auth.clientId', imsUrl: 'auth.imsUrl', scopes: 'auth.scopes',
  trustedHosts: 'trustedHosts',
  source: 'source', relayUrl: 'relay.url', relayKey: 'relay.key',
};

/** Settings whose change needs a reconnect to take effect. */
export const RECONNECT_KEYS: readonly (keyof Settings)[] = ['streamUrl', 'maxConnections', 'reset', 'smoothing', 'smoothingBucketSize', 'idleTimeoutSeconds', 'authMethod', 'clientId', 'imsUrl', 'scopes', 'trustedHosts', 'source', 'relayUrl', 'relayKey'];

export interface SettingsProblem {
  /** Full setting id, e.g. `liveStream.maxConnections`. */
  setting: string;
  message: string;
}

export function settingId(field: keyof Settings): string {
  return `${SETTINGS_SECTION}.${KEYS[field]}`;
}

/** The manifest default of a field. */
export function defaultOf<K extends keyof Settings>(field: K): Settings[K] {
  return PROPS[settingId(field)].default as Settings[K];
}

function check(field: keyof Settings, value: unknown): string | undefined {
  const s = PROPS[settingId(field)];
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'integer' && !(typeof value === 'number' && Number.isInteger(value))) return `must be a whole number, got ${JSON.stringify(value)}`;
  if (t === 'number' && !(typeof value === 'number' && Number.isFinite(value))) return `must be a number, got ${JSON.stringify(value)}`;
  if (t === 'boolean' && typeof value !== 'boolean') return `must be true or false, got ${JSON.stringify(value)}`;
  if (t === 'string' && typeof value !== 'string') return `must be text, got ${JSON.stringify(value)}`;
  if (t === 'array' && !(Array.isArray(value) && value.every((x) => typeof x === 'string'))) return 'must be a list of strings';
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) return `must be at least ${s.minimum}, got ${value}`;
    if (s.maximum !== undefined && value > s.maximum) return `must be at most ${s.maximum}, got ${value}`;
  }
  if (s.enum && !s.enum.includes(value)) return `must be one of ${s.enum.filter((x) => x !== '').map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(value)}`;
  return undefined;
}

/**
 * Reads every setting through `get` (the host passes WorkspaceConfiguration.get).
 * Invalid values fall back to the default and are listed in `problems`.
 */
export function parseSettings(get: (key: string) => unknown): { settings: Settings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(KEYS) as (keyof Settings)[]) {
    const raw = get(KEYS[field]);
    if (raw === undefined || raw === null) { out[field] = defaultOf(field); continue; }
    const bad = check(field, raw);
    if (bad) {
      problems.push({ setting: settingId(field), message: `${settingId(field)} ${bad}; using the default ${JSON.stringify(defaultOf(field))}.` });
      out[field] = defaultOf(field);
    } else {
      out[field] = typeof raw === 'string' ? raw.trim() : raw;
    }
  }
  return { settings: out as unknown as Settings, problems };
}

/** The manifest's IMS endpoint and scopes, for the token provider (and the credentials prompt). */
export const IMS_DEFAULTS: ImsDefaults = { imsUrl: defaultOf('imsUrl'), scopes: defaultOf('scopes') };
