import type { ChainError, ChainEventPayload } from './schemas/chain.js';

/** One step of a chain as its events describe it; times are ISO strings. */
export interface ChainStep {
  step: number;
  name: string;
  status: 'running' | 'succeeded' | 'failed';
  /** The step's structured output once it succeeded (optional: that is how `unknown` crosses tRPC's types). */
  output?: unknown;
  logId: string | null;
  provider: string | null;
  model: string | null;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: string | null;
  error: ChainError | null;
  startedAt: string;
  finishedAt: string | null;
}

/**
 * Steps after `events`, applied in order on top of `steps`: the one rule the server uses for chains.get and the
 * client uses for live events, so both show the same thing.
 */
export function applyStepEvents(
  steps: readonly ChainStep[],
  events: readonly { payload: ChainEventPayload; createdAt: string }[],
): ChainStep[] {
  const byNumber = new Map(steps.map((step) => [step.step, step]));
  for (const { payload, createdAt } of events) {
    if (payload.type === 'step_started') {
      byNumber.set(payload.step, {
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
      continue;
    }
    if (payload.type === 'chain_finished' && payload.status !== 'succeeded') {
      // A step still running when its chain ended never finished: say so rather than spin forever.
      const stopped = {
        class: 'Interrupted',
        message: `the chain ${payload.status === 'failed' ? 'failed' : 'stopped'} before this step finished`,
      };
      for (const [number, running] of byNumber) {
        if (running.status === 'running')
          byNumber.set(number, { ...running, status: 'failed', error: stopped, finishedAt: createdAt });
      }
      continue;
    }
    const step = 'step' in payload ? byNumber.get(payload.step) : undefined;
    if (!step) continue;
    if (payload.type === 'step_finished') {
      const { output, logId, provider, model, latencyMs, inputTokens, outputTokens, costUsd } = payload;
      byNumber.set(step.step, {
        ...step,
        status: 'succeeded',
        output,
        logId,
        provider,
        model,
        latencyMs,
        inputTokens,
        outputTokens,
        costUsd,
        finishedAt: createdAt,
      });
    }
    if (payload.type === 'step_failed') {
      byNumber.set(step.step, {
        ...step,
        status: 'failed',
        error: payload.error,
        logId: payload.logId,
        finishedAt: createdAt,
      });
    }
  }
  return [...byNumber.values()].sort((left, right) => left.step - right.step);
}
