import { UntrustedHostError, type SecretKind } from './errors';
import { isLoopbackHost } from './streamConfig';

/**
 * Where each secret may go. A workspace's `.vscode/settings.json` (or a `git
 * pull` that changes it) can point `liveStream.streamUrl` anywhere; without this
 * check the user's bearer token would follow. So the token goes only to https
 * hosts under adobe.net, the client secret only to https hosts under
 * adobelogin.com, and both to plain-http loopback (the local mock/demo server,
 * which never speaks TLS). Any other host needs the user's own consent: the
 * application-scoped setting `liveStream.trustedHosts` (a workspace cannot set
 * it) or a modal confirmation naming the host, remembered per host.
 */
const HOME: Record<SecretKind, { domain: string; what: string; setting: string }> = {
  token: { domain: 'adobe.net', what: 'access token', setting: 'liveStream.streamUrl' },
  clientSecret: { domain: 'adobelogin.com', what: 'client secret', setting: 'liveStream.auth.imsUrl' },
};

/** `host[:port]`, lower case, without a trailing dot: the key of an allow-list entry. */
export function hostKey(url: URL): string {
  return url.host.toLowerCase().replace(/\.(?=:\d+$|$)/, '');
}

function hostname(url: URL): string {
  return url.hostname.toLowerCase().replace(/\.$/, '');
}

/** True when `url` may receive the `kind` secret. `allowed`: hosts the user allowed (`host` or `host:port`). */
export function isTrustedFor(url: URL, kind: SecretKind, allowed: readonly string[] = []): boolean {
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return true;
  const name = hostname(url);
  const { domain } = HOME[kind];
  if (url.protocol === 'https:' && (name === domain || name.endsWith(`.${domain}`))) return true;
  if (url.protocol !== 'https:') return false; // never a secret over plain http to a real network
  const key = hostKey(url);
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase().replace(/\.(?=:\d+$|$)/, '');
    return entry !== '' && (entry === key || entry === name);
  });
}

/** Throws UntrustedHostError (naming the host and what to do) unless `url` may receive the secret. */
export function assertTrustedFor(url: URL, kind: SecretKind, allowed: readonly string[] = []): void {
  if (isTrustedFor(url, kind, allowed)) return;
  const { domain, what, setting } = HOME[kind];
  const host = hostKey(url);
  const why = url.protocol === 'https:'
    ? `${host} is not under ${domain}`
    : `${url.protocol}//${host} is not https`;
  throw new UntrustedHostError(host, kind, setting,
    `Refused to send your ${what} to ${host}: ${why}. Credentials go only to https hosts under ${domain}. `
    + `If you trust ${host}, allow it yourself (VS Code: the user setting liveStream.trustedHosts, or confirm when asked; CLI: --allow-host ${host}).`);
}
