import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes (256 bits) in base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What is stored for a token: its SHA-256 (a fast hash is enough for 256 random bits). */
export function hashShareToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A new share token and the hash to store; the token itself is only ever returned once. */
export function newShareToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashShareToken(token) };
}

/** Whether a path segment could be a token at all (anything else is simply unknown). */
export function looksLikeShareToken(value: string): boolean {
  return TOKEN.test(value);
}
