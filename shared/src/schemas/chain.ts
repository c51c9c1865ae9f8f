import { z } from 'zod';
import { CHAIN_STATUSES } from '../value-lists.js';

export const chainStatusSchema = z.enum(CHAIN_STATUSES);
export type ChainStatus = z.infer<typeof chainStatusSchema>;

export const chainErrorSchema = z.object({ class: z.string(), message: z.string() });
export type ChainError = z.infer<typeof chainErrorSchema>;

const stepFields = { step: z.number().int().min(1), name: z.string() };

/** What a chain reports as it runs; stored in chain_event.payload and streamed to subscribers in order. */
export const chainEventPayloadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chain_started') }),
  z.object({ type: z.literal('step_started'), ...stepFields }),
  z.object({
    type: z.literal('step_finished'),
    ...stepFields,
    // Optional in the type only: that is how `unknown` crosses tRPC's inferred types.
    output: z.unknown().optional(),
    logId: z.string(),
    provider: z.string(),
    model: z.string(),
    latencyMs: z.number(),
    inputTokens: z.number().nullable(),
    outputTokens: z.number().nullable(),
    costUsd: z.string().nullable(),
  }),
  z.object({ type: z.literal('step_failed'), ...stepFields, error: chainErrorSchema, logId: z.string().nullable() }),
  z.object({
    type: z.literal('chain_finished'),
    status: chainStatusSchema.exclude(['running']),
    error: chainErrorSchema.nullable(),
  }),
]);
export type ChainEventPayload = z.infer<typeof chainEventPayloadSchema>;
export type ChainEventType = ChainEventPayload['type'];

/** One stored event: its monotonic id is the resume point of a subscription. Times are ISO strings on the wire. */
export interface ChainEvent {
  id: string;
  chainId: string;
  createdAt: string;
  payload: ChainEventPayload;
}
