import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Token and password hashing for src/auth. */

const TOKEN_PREFIX = 'onr_';

/** A new API token: 32 random bytes, prefixed so secret scanners and people recognise it. */
export function newApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeApiToken(value: string): boolean {
  return /^onr_[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * API tokens and session ids carry 256 bits of randomness, so a plain SHA-256 is enough to make a
 * stolen table useless (a slow hash defends guessable secrets, which these are not) and keeps the
 * per-request lookup cheap.
 */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

// scrypt parameters: N=2^15, r=8 (64 MiB would be N=2^16; 32 MiB keeps logins quick on small hosts).
const SCRYPT = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of no real password, compared against when the user name is unknown so timing does not tell. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomId());
  return decoyHash;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

/** Constant-time string comparison for CSRF tokens. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
