import type { AppRouter } from '@chainlog/server/router';
import { type AccessMode, readHealthzAccessMode } from '@chainlog/shared';
import type { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpLink } from '@trpc/client';
import { useSyncExternalStore } from 'react';
import { API_HEALTH_URL, API_HTTP_URL } from '../../env.js';
import { ServerUnreachableError, errorCode, isUnreachable } from '../../error-code.js';
import { type TrpcClient, createQueryClient, createTrpcConnection } from '../../trpc.js';

// The token lives as long as the tab: not in localStorage, so closing the tab forgets it.
const STORAGE_KEY = 'chainlog.token';

/** The clients of one token; a new token gets new ones (and the app remounts, keyed on `id`). */
export interface AccessSession {
  id: number;
  trpcClient: TrpcClient;
  queryClient: QueryClient;
}

/**
 * `checking`: asking /healthz whether a token is needed. `asking`: the token dialog is up (`refused` when the
 * last token was refused). `open`: the app runs with `session`.
 */
export type AccessState =
  | { phase: 'checking' }
  | { phase: 'asking'; refused: boolean }
  | { phase: 'open'; session: AccessSession };

let state: AccessState = { phase: 'checking' };
let closeConnection: (() => void) | undefined;
let sessionToken: string | null = null;
let sessionCount = 0;
const listeners = new Set<() => void>();

function setState(next: AccessState): void {
  state = next;
  for (const listener of listeners) listener();
}

function openSession(token: string | null): void {
  closeConnection?.();
  const connection = createTrpcConnection({ token, onUnauthorized: tokenRefused });
  closeConnection = connection.close;
  sessionToken = token;
  sessionCount += 1;
  setState({
    phase: 'open',
    session: {
      id: sessionCount,
      trpcClient: connection.client,
      queryClient: createQueryClient({ onUnauthorized: tokenRefused }),
    },
  });
}

/**
 * A call or the WebSocket was refused for its token (or for having none, when /healthz could not say one was
 * needed): forget it, stop reconnecting, and ask.
 */
function tokenRefused(): void {
  if (state.phase !== 'open') return;
  sessionStorage.removeItem(STORAGE_KEY);
  closeConnection?.();
  closeConnection = undefined;
  setState({ phase: 'asking', refused: sessionToken !== null });
}

/** What /healthz says about tokens; undefined when it cannot be read (the server is down: calls will tell). */
async function readAccessMode(): Promise<AccessMode | undefined> {
  try {
    const response = await fetch(API_HEALTH_URL);
    return readHealthzAccessMode(await response.json());
  } catch {
    // Unreachable or not JSON: start with the stored token, if any; a refusal brings the dialog up later.
    return undefined;
  }
}

/** Decides, once at start, whether to ask for a token first. */
export async function startAccess(): Promise<void> {
  const mode = await readAccessMode();
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (mode === 'token' && stored === null) setState({ phase: 'asking', refused: false });
  else openSession(mode === 'none' ? null : stored);
}

/**
 * Tries a token on the `health` query before using it. Resolves `accepted` (the app opens with it), `refused`, or
 * the message of any other failure (the server cannot be reached).
 */
export async function submitToken(token: string): Promise<'accepted' | 'refused' | { message: string }> {
  const probe = createTRPCClient<AppRouter>({
    links: [httpLink({ url: API_HTTP_URL, headers: { authorization: `Bearer ${token}` } })],
  });
  try {
    await probe.health.query();
  } catch (error) {
    if (errorCode(error) === 'UNAUTHORIZED') return 'refused';
    if (isUnreachable(error)) return { message: 'The server cannot be reached. Try again in a moment.' };
    return { message: error instanceof Error ? error.message : String(error) };
  }
  sessionStorage.setItem(STORAGE_KEY, token);
  openSession(token);
  return 'accepted';
}

/**
 * fetch() with this tab's token (the header the API asks for: a plain link could not send it). A 401 forgets the
 * token and brings the token dialog up, as a refused tRPC call does.
 */
export async function fetchWithToken(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (sessionToken !== null) headers.set('authorization', `Bearer ${sessionToken}`);
  const response = await fetch(url, { ...init, headers }).catch((error: unknown) => {
    // fetch rejects with a TypeError when no answer came; an abort (a DOMException) stays what it is.
    throw error instanceof TypeError ? new ServerUnreachableError(error.message, { cause: error }) : error;
  });
  if (response.status === 401) tokenRefused();
  return response;
}

export function useAccessState(): AccessState {
  return useSyncExternalStore(
    (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    () => state,
  );
}
