import type { ChainEventPayload } from '@chainlog/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSequence, followChain } from '../../test/follow-chain.js';
import { openTestDatabase } from '../../test/test-database.js';
import { ChainEventBus } from '../chains/event-bus.js';
import { newChainId } from '../llm/chain-context.js';
import { getChainDetail } from '../services/chains.js';
import { CURRENT_PAYLOAD_VERSION, PAYLOAD_UPCASTERS, readStoredPayload } from './chain-event-payloads.js';
import type { DatabaseHandle } from './client.js';
import { toJsonb } from './jsonb.js';
import { insertChain, insertChainEvent } from './queries/chains.js';

// A hypothetical version other than today's, added the way a real change of the wire schema would add one: its
// own schema and an upcaster to today's shape. Its events name their kind `kind`, a step's task `task`, and say
// whether the chain succeeded with `ok`.
const HYPOTHETICAL_VERSION = 99;
const hypotheticalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('started') }),
  z.object({ kind: z.literal('step'), number: z.number().int().min(1), task: z.string() }),
  z.object({ kind: z.literal('finished'), ok: z.boolean() }),
]);
function upcastHypothetical(stored: unknown): ChainEventPayload {
  const event = hypotheticalSchema.parse(stored);
  if (event.kind === 'started') return { type: 'chain_started' };
  if (event.kind === 'step') return { type: 'step_started', step: event.number, name: event.task };
  return {
    type: 'chain_finished',
    status: event.ok ? 'succeeded' : 'failed',
    error: event.ok ? null : { class: 'Error', message: 'failed' },
  };
}

let database: DatabaseHandle;
const bus = new ChainEventBus();

beforeAll(async () => {
  database = await openTestDatabase();
  PAYLOAD_UPCASTERS.set(HYPOTHETICAL_VERSION, upcastHypothetical);
});

afterAll(async () => {
  PAYLOAD_UPCASTERS.delete(HYPOTHETICAL_VERSION);
  await database?.close();
});

/** What an older server would have stored: a payload in another version than today's. */
async function storeInVersion(chainId: string, type: string, version: number, payload: unknown): Promise<void> {
  await database.db
    .insertInto('chain_event')
    .values({ chain_id: chainId, type, payload: toJsonb(payload), payload_version: version })
    .execute();
}

describe('stored chain event payloads', () => {
  it("are stored in the current version, today's wire shape", async () => {
    const chainId = newChainId();
    await insertChain(database.db, { id: chainId, name: 'support-inbox triage', status: 'running', input: '{}' });
    const row = await insertChainEvent(database.db, chainId, { type: 'chain_started' });
    expect(row).toMatchObject({ payload_version: CURRENT_PAYLOAD_VERSION, payload: { type: 'chain_started' } });
  });

  it("replay through the chain's events and its detail whether stored in today's version or another one", async () => {
    const chainId = newChainId();
    await insertChain(database.db, { id: chainId, name: 'support-inbox triage', status: 'running', input: '{}' });
    await storeInVersion(chainId, 'chain_started', HYPOTHETICAL_VERSION, { kind: 'started' });
    await storeInVersion(chainId, 'step_started', HYPOTHETICAL_VERSION, {
      kind: 'step',
      number: 1,
      task: 'intent recognition',
    });
    await storeInVersion(chainId, 'step_failed', 1, {
      type: 'step_failed',
      step: 1,
      name: 'intent recognition',
      error: { class: 'ProviderError', message: 'the provider answered 503' },
      logId: null,
    });
    await database.db
      .updateTable('chain')
      .set({ status: 'failed', finished_at: new Date() })
      .where('id', '=', chainId)
      .execute();
    await storeInVersion(chainId, 'chain_finished', HYPOTHETICAL_VERSION, { kind: 'finished', ok: false });

    const events = await followChain({ db: database.db, bus }, chainId);
    expect(eventSequence(events)).toEqual(['chain_started', 'step_started 1', 'step_failed 1', 'chain_finished']);
    expect(events[1]?.payload).toEqual({ type: 'step_started', step: 1, name: 'intent recognition' });
    expect(events[3]?.payload).toEqual({
      type: 'chain_finished',
      status: 'failed',
      error: { class: 'Error', message: 'failed' },
    });

    const detail = await getChainDetail(database.db, chainId, () => []);
    expect(detail?.lastEventId).toBe(events.at(-1)?.id);
    expect(detail?.steps).toEqual([
      expect.objectContaining({
        step: 1,
        name: 'intent recognition',
        status: 'failed',
        error: { class: 'ProviderError', message: 'the provider answered 503' },
      }),
    ]);
  });

  it("in a version this server does not know are refused with an error naming it, not read as today's", () => {
    expect(() => readStoredPayload(7, { type: 'chain_started' })).toThrow(/payload version 7/);
  });
});
