import type { RouterOutputs } from '../../trpc.js';

export type ChainDetail = RouterOutputs['chains']['get'];
export type ChainStep = ChainDetail['steps'][number];
/** One chains.events event as it arrives over the wire (a ChainEvent from shared/, serialized). */
export type LiveChainEvent = RouterOutputs['chains']['events'] extends AsyncIterable<{ data: infer Event }> ? Event : never;

/** Event ids are decimal integers, increasing in the order the chain wrote them. */
function isAfter(id: string, lastEventId: string | null): boolean {
  return lastEventId === null || BigInt(id) > BigInt(lastEventId);
}

/**
 * The chains.get snapshot with the live events it has not seen (ids after its `lastEventId`) applied by the same
 * rules as the server's foldSteps. Any snapshot works, however old or new: events it already holds are skipped.
 */
export function applyLiveEvents(detail: ChainDetail, events: readonly LiveChainEvent[]): ChainDetail {
  const unseen = events.filter((event) => isAfter(event.id, detail.lastEventId));
  if (unseen.length === 0) return detail;
  const steps = new Map(detail.steps.map((step) => [step.step, step]));
  let chain = detail.chain;
  for (const { payload, createdAt } of unseen) {
    switch (payload.type) {
      case 'chain_started':
        break;
      case 'step_started':
        steps.set(payload.step, {
          step: payload.step,
          name: payload.name,
          status: 'running',
          output: null,
          logId: null,
          provider: null,
          model: null,
          latencyMs: null,
          inputTokens: null,
          outputTokens: null,
          costUsd: null,
          error: null,
          startedAt: createdAt,
          finishedAt: null,
        });
        break;
      case 'step_finished': {
        const step = steps.get(payload.step);
        if (step) {
          const { output, logId, provider, model, latencyMs, inputTokens, outputTokens, costUsd } = payload;
          steps.set(payload.step, { ...step, status: 'succeeded', output, logId, provider, model, latencyMs, inputTokens, outputTokens, costUsd, finishedAt: createdAt });
        }
        break;
      }
      case 'step_failed': {
        const step = steps.get(payload.step);
        if (step) steps.set(payload.step, { ...step, status: 'failed', error: payload.error, logId: payload.logId, finishedAt: createdAt });
        break;
      }
      case 'chain_finished':
        chain = { ...chain, status: payload.status, error: payload.error, finishedAt: createdAt };
        break;
    }
  }
  return {
    ...detail,
    chain,
    steps: [...steps.values()].sort((left, right) => left.step - right.step),
    lastEventId: unseen[unseen.length - 1]?.id ?? detail.lastEventId,
  };
}
