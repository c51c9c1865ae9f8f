import { applyStepEvents } from '@chainlog/shared';
import type { RouterOutputs } from '../../trpc.js';

export type ChainDetail = RouterOutputs['chains']['get'];
export type ChainStep = ChainDetail['steps'][number];
/** One chains.events event as it arrives over the wire (a ChainEvent from shared/, serialized). */
export type LiveChainEvent =
  RouterOutputs['chains']['events'] extends AsyncIterable<{ data: infer Event }> ? Event : never;

/** Event ids are decimal integers, increasing in the order the chain wrote them. */
function isAfter(id: string, lastEventId: string | null): boolean {
  return lastEventId === null || BigInt(id) > BigInt(lastEventId);
}

/**
 * The chains.get snapshot with the live events it has not seen (ids after its `lastEventId`) applied by the same
 * rule as the server (applyStepEvents from shared/). Any snapshot works, however old or new: events it already
 * holds are skipped.
 */
export function applyLiveEvents(detail: ChainDetail, events: readonly LiveChainEvent[]): ChainDetail {
  const unseen = events.filter((event) => isAfter(event.id, detail.lastEventId));
  if (unseen.length === 0) return detail;
  const finished = unseen.findLast((event) => event.payload.type === 'chain_finished');
  const chain =
    finished?.payload.type === 'chain_finished'
      ? {
          ...detail.chain,
          status: finished.payload.status,
          error: finished.payload.error,
          finishedAt: finished.createdAt,
        }
      : detail.chain;
  return {
    ...detail,
    chain,
    steps: applyStepEvents(detail.steps, unseen),
    lastEventId: unseen[unseen.length - 1]?.id ?? detail.lastEventId,
  };
}
