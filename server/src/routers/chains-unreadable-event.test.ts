import { TRPCClientError, createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { toJsonb } from '../db/jsonb.js';
import { insertChain } from '../db/queries/chains.js';
import { newChainId } from '../llm/chain-context.js';
import type { AppRouter } from './app.js';

const UNKNOWN_VERSION = 7;
const ERROR_MESSAGE = new RegExp(`payload version ${UNKNOWN_VERSION}, which this server does not read`);

/** The SSE stream's text up to its first `serialized-error` event, or all of it if it ends first. */
async function readUntilError(response: Response): Promise<string> {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error('the response has no body');
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += value;
    if (/event: serialized-error\ndata: .*\n/.test(text)) {
      await reader.cancel();
      return text;
    }
  }
}

describe('a chain holding an event stored in a payload version this server does not read (a newer one wrote it)', () => {
  let running: RunningServer;
  let chainId: string;

  beforeAll(async () => {
    running = await startRunningServer();
    chainId = newChainId();
    const { db } = running.dependencies;
    await insertChain(db, { id: chainId, name: 'support-inbox triage', status: 'running', input: '{}' });
    await db
      .insertInto('chain_event')
      .values({
        chain_id: chainId,
        type: 'chain_started',
        payload: toJsonb({ type: 'chain_started' }),
        payload_version: UNKNOWN_VERSION,
      })
      .execute();
  });

  afterAll(() => running?.close());

  const input = () => encodeURIComponent(JSON.stringify({ chainId }));

  it('answers chains.get with 501 NOT_IMPLEMENTED naming the version: no error tRPC clients retry', async () => {
    const response = await fetch(`${running.url}/trpc/chains.get?input=${input()}`);
    const body = (await response.json()) as { error: { message: string; data: { code: string } } };

    expect(response.status).toBe(501);
    expect(body.error.data.code).toBe('NOT_IMPLEMENTED');
    expect(body.error.message).toMatch(ERROR_MESSAGE);
  });

  it("ends a chains.events subscription over the web client's WebSocket with the same error", async () => {
    // Node 20 has no global WebSocket: the ws class stands in (its type lacks the DOM-only dispatchEvent).
    const wsClient = createWSClient({
      url: running.wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      const error = await within(
        new Promise<TRPCClientError<AppRouter>>((resolve) => {
          client.chains.events.subscribe({ chainId }, { onData: () => undefined, onError: resolve });
        }),
        5_000,
        'the subscription to fail',
      );
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.data?.code).toBe('NOT_IMPLEMENTED');
      expect(error.message).toMatch(ERROR_MESSAGE);
    } finally {
      await wsClient.close();
    }
  });

  it('ends a chains.events subscription over SSE with the same error', async () => {
    const response = await fetch(`${running.url}/trpc/chains.events?input=${input()}`, {
      headers: { accept: 'text/event-stream' },
    });
    const text = await within(readUntilError(response), 5_000, 'the subscription to fail');

    const data = /event: serialized-error\ndata: (.*)\n/.exec(text)?.[1];
    const error = JSON.parse(data ?? 'null') as { message: string; data: { code: string } } | null;
    expect(error?.data.code).toBe('NOT_IMPLEMENTED');
    expect(error?.message).toMatch(ERROR_MESSAGE);
  });
});
