import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether a presented token is the configured one. */
export type TokenCheck = (presented: string | undefined) => boolean;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Compares tokens in constant time: both sides are hashed first, so neither the length nor the first differing
 * character of the token shows in how long a refusal takes. Only the hash of the token is kept.
 */
export function createTokenCheck(token: string): TokenCheck {
  const expected = sha256(token);
  return (presented) => presented !== undefined && timingSafeEqual(sha256(presented), expected);
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header or none. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * What is wrong with the token a request presented, for the UNAUTHORIZED answer; undefined when it is the right
 * one. Never quotes the token.
 */
export function tokenProblem(check: TokenCheck, presented: string | undefined): string | undefined {
  if (presented === undefined)
    return 'this server needs a token: send the CHAINLOG_TOKEN value as `Authorization: Bearer <token>` (HTTP) or connectionParams { token } (WebSocket)';
  return check(presented) ? undefined : 'that token was refused';
}
