/** A content coding the static files go out in: stored precompressed (br, gzip), or none (identity). */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** Among codings a client accepts equally, the smallest body first. */
const PREFERENCE: readonly ContentCoding[] = ['br', 'gzip', 'identity'];

/** The smallest weight a header can give (q=0.001). */
const UNNAMED_IDENTITY_WEIGHT = 0.001;

/** `x-gzip` is gzip's old name, still to be read as gzip (RFC 9110 §8.4.1.3). */
const ALIASES: Record<string, string> = { 'x-gzip': 'gzip' };

/** Each coding named in an Accept-Encoding header with its weight (q, 1 when not given); unreadable entries dropped. */
function weights(acceptEncoding: string): Map<string, number> {
  const named = new Map<string, number>();
  for (const entry of acceptEncoding.split(',')) {
    const [name = '', ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (name === '') continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!Number.isFinite(weight) || weight < 0 || weight > 1) continue;
    named.set(ALIASES[name] ?? name, weight);
  }
  return named;
}

/**
 * Picks the coding to send from `available` (identity is always available) by the request's Accept-Encoding
 * (RFC 9110 §12.5.3): the highest weight wins, brotli before gzip before identity on a tie. No header means identity.
 * A client that refuses every coding, identity too, gets identity all the same: a body it can read, not a 406.
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly ContentCoding[]): ContentCoding {
  if (acceptEncoding === undefined) return 'identity';
  const named = weights(acceptEncoding);
  const wildcard = named.get('*');
  // Identity is acceptable unless refused, but unnamed it weighs least: `br;q=0.5` still means brotli.
  const weightOf = (coding: ContentCoding) =>
    named.get(coding) ?? wildcard ?? (coding === 'identity' ? UNNAMED_IDENTITY_WEIGHT : 0);
  let best: ContentCoding = 'identity';
  let bestWeight = 0;
  for (const coding of PREFERENCE) {
    if (coding !== 'identity' && !available.includes(coding)) continue;
    const weight = weightOf(coding);
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * Whether an If-None-Match header names `etag` (or is `*`), compared weakly as RFC 9110 §13.1.2 asks: a `W/` tag
 * matches the same strong one. True means the client's copy is current: answer 304.
 */
export function matchesIfNoneMatch(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
