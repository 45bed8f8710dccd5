import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of CSPRNG output per secret: 16 bytes = 128 bits, 22 base64url characters. */
export const SECRET_BYTES = 16;

/** A new unguessable, URL-safe secret (board id, facilitator key, viewer key, token). */
export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** SHA-256 hex digest; secrets are stored only as hashes. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time check of a presented secret against a stored hash. */
export function secretMatches(presented: string | undefined, storedHash: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
