import { execFile } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenSigningKey {
  privateKey: KeyObject;
  /** Path of the PEM certificate the registry trusts (`rootcertbundle`). */
  certPath: string;
  /** libtrust key id of the certificate's public key, as distribution expects in `kid`. */
  kid: string;
}

/**
 * The key pair Harbor's token service signs registry tokens with (RS256, like Harbor's
 * `private_key.pem`), and the self-signed certificate handed to the registry.
 */
export async function createTokenSigningKey(dir: string): Promise<TokenSigningKey> {
  const keyPath = join(dir, 'token-signing.key');
  const certPath = join(dir, 'token-signing.crt');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '30',
      '-subj',
      '/CN=harbor-token-issuer',
    ],
    { timeout: 15_000 },
  );
  const privateKey = createPrivateKey(await readFile(keyPath, 'utf8'));
  const cert = new X509Certificate(await readFile(certPath));
  return { privateKey, certPath, kid: libtrustKeyId(cert.publicKey) };
}

/** base32(sha256(DER SubjectPublicKeyInfo)[0:30]) in 12 groups of 4, joined by ':'. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const digest = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest()
    .subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return (out.match(/.{4}/g) as string[]).join(':');
}
