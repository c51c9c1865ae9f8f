// No zod here: the web client reads /healthz with this in its first view, where zod would cost more than it checks.

/** Whether the server asks every /trpc request and WebSocket for CHAINLOG_TOKEN (`token`) or not (`none`). */
export const ACCESS_MODES = ['token', 'none'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** The access mode that a GET /healthz body names in `auth`, or undefined when it names none. */
export function readHealthzAccessMode(body: unknown): AccessMode | undefined {
  if (typeof body !== 'object' || body === null || !('auth' in body)) return undefined;
  const { auth } = body;
  return ACCESS_MODES.find((mode) => mode === auth);
}

/**
 * The close code of a WebSocket whose token was missing or refused (4000–4999 is for applications; 4401 echoes
 * HTTP 401). The server first sends the UNAUTHORIZED error, then closes with this code.
 */
export const UNAUTHORIZED_CLOSE_CODE = 4401;
