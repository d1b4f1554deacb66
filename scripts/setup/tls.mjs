// A throwaway self-signed certificate for loopback HTTPS test servers (the
// credential-host tests need a real TLS peer under a non-Adobe name). Made with
// the openssl CLI (Debian package openssl; see NEEDS.tls in platform.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes key.pem + cert.pem for `localhost` and 127.0.0.1 into a new temp dir. */
export function makeLoopbackCert(dir = mkdtempSync(join(tmpdir(), 'lsi-tls-'))) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, keyPath, certPath, key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}
