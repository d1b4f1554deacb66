import { RedirectRefused } from './errors';
import { isLoopbackHost } from './streamConfig';

/**
 * Where a redirect may take the credentials. Adobe's reference client follows
 * redirects by hand because libraries drop `Authorization`; we re-send it, so
 * we must be strict about where it goes: the configured host, or an https
 * host under adobe.net. Never an https → http downgrade.
 */
export const MAX_REDIRECTS = 5;

/**
 * Resolves `location` against `current`, checks it, and carries over query
 * parameters the target does not set itself (they must survive the hop).
 */
export function nextRedirectUrl(original: URL, current: URL, location: string | undefined): URL {
  if (!location) throw new RedirectRefused(current.host, `Redirect from ${current.host} without a Location header`);
  let target: URL;
  try {
    target = new URL(location, current);
  } catch {
    throw new RedirectRefused(current.host, `Redirect to an invalid location from ${current.host}`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new RedirectRefused(target.host, `Refused redirect to ${target.protocol} URL`);
  }
  if (current.protocol === 'https:' && target.protocol === 'http:') {
    throw new RedirectRefused(target.host, `Refused redirect from https to plain http (${target.host}): credentials would travel unencrypted`);
  }
  const sameHost = target.host === original.host;
  const adobe = target.protocol === 'https:' && (target.hostname === 'adobe.net' || target.hostname.endsWith('.adobe.net'));
  if (!sameHost && !adobe) {
    throw new RedirectRefused(target.host, `Refused redirect to ${target.host}: credentials are only sent to ${original.host} or https hosts under adobe.net`);
  }
  if (target.protocol === 'http:' && !isLoopbackHost(target.hostname)) {
    throw new RedirectRefused(target.host, `Refused redirect to plain http host ${target.host}`);
  }
  for (const [k, v] of original.searchParams) {
    if (!target.searchParams.has(k)) target.searchParams.append(k, v);
  }
  target.hash = '';
  return target;
}
