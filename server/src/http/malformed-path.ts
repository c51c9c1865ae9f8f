import type { ServerResponse } from 'node:http';
import { answerTrpcError } from './trpc-error-response.js';

/**
 * Whether `pathname` is not valid percent-encoding (`/trpc/%ff`, `/trpc/%`): a `%` not followed by two hex digits,
 * or escapes that do not spell UTF-8. tRPC decodes the procedure path with decodeURIComponent and answers the
 * URIError as INTERNAL_SERVER_ERROR (500), so such a path is refused before it.
 */
export function isMalformedPath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return false;
  } catch (error) {
    if (error instanceof URIError) return true;
    throw error;
  }
}

/** 400 with a tRPC-shaped BAD_REQUEST error, so tRPC clients read it as they read any refusal. */
export function answerMalformedPath(response: ServerResponse, pathname: string): void {
  const shown = pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname;
  answerTrpcError(response, 400, 'BAD_REQUEST', `the path ${shown} is not valid percent-encoding`);
}
