import { z } from 'zod';

/** Whether the server asks every /trpc request and WebSocket for CHAINLOG_TOKEN (`token`) or not (`none`). */
export const accessModeSchema = z.enum(['token', 'none']);
export type AccessMode = z.infer<typeof accessModeSchema>;

/** The part of GET /healthz that tells a client whether to ask for a token. */
export const healthzAccessSchema = z.object({ auth: accessModeSchema });

/**
 * The close code of a WebSocket whose token was missing or refused (4000–4999 is for applications; 4401 echoes
 * HTTP 401). The server first sends the UNAUTHORIZED error, then closes with this code.
 */
export const UNAUTHORIZED_CLOSE_CODE = 4401;
