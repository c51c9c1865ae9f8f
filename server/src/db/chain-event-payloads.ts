import { type ChainEventPayload, chainEventPayloadSchema } from '@chainlog/shared';

/** The version of the payload shape events are stored in now. */
export const CURRENT_PAYLOAD_VERSION = 1;

/** Reads a payload stored in one version as today's wire payload (throws when it does not fit that version). */
export type PayloadUpcaster = (stored: unknown) => ChainEventPayload;

/**
 * How each stored version becomes today's wire payload. Version 1 is the wire schema of 2026-12-03 itself. When the
 * wire schema changes: freeze a copy of the old one as the last version's schema here, make its upcaster map it to
 * the new shape, add the new shape as the next version (the wire schema) and raise CURRENT_PAYLOAD_VERSION. Stored
 * rows are never rewritten; a version is dropped only when no database holds it any longer.
 */
export const PAYLOAD_UPCASTERS = new Map<number, PayloadUpcaster>([
  [1, (stored) => chainEventPayloadSchema.parse(stored)],
]);

/** An event stored in a version this server does not know: written by a newer one (a rolling deploy, say). */
export class UnknownPayloadVersionError extends Error {
  override name = 'UnknownPayloadVersionError';
  constructor(readonly version: number) {
    super(
      `a chain event stored in payload version ${version}, which this server does not read (it knows ${[...PAYLOAD_UPCASTERS.keys()].join(', ')})`,
    );
  }
}

/** The stored payload as today's wire payload, whatever version it was stored in. */
export function readStoredPayload(version: number, stored: unknown): ChainEventPayload {
  const upcast = PAYLOAD_UPCASTERS.get(version);
  if (!upcast) throw new UnknownPayloadVersionError(version);
  return upcast(stored);
}
