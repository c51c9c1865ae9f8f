import { describe, expect, it } from 'vitest';
import { applyStepEvents } from './chain-steps.js';
import type { ChainEventPayload } from './schemas/chain.js';

const at = (second: number) => `2026-11-25T12:00:0${second}.000Z`;
const event = (payload: ChainEventPayload, second: number) => ({ payload, createdAt: at(second) });

describe('applyStepEvents', () => {
  it('folds started and finished events into steps, in step order', () => {
    const steps = applyStepEvents(
      [],
      [
        event({ type: 'step_started', step: 1, name: 'intent recognition' }, 1),
        event(
          {
            type: 'step_finished',
            step: 1,
            name: 'intent recognition',
            output: { intent: 'other' },
            logId: 'log-1',
            provider: 'offline',
            model: 'default',
            latencyMs: 3,
            inputTokens: 10,
            outputTokens: 4,
            costUsd: '0',
          },
          2,
        ),
        event({ type: 'step_started', step: 2, name: 'entity extraction' }, 3),
      ],
    );

    expect(steps.map((step) => [step.step, step.name, step.status, step.finishedAt])).toEqual([
      [1, 'intent recognition', 'succeeded', at(2)],
      [2, 'entity extraction', 'running', null],
    ]);
    expect(steps[0]).toMatchObject({ output: { intent: 'other' }, logId: 'log-1', latencyMs: 3, startedAt: at(1) });
  });

  it('fails a step still running when its chain ends without succeeding, instead of leaving it running', () => {
    const running = applyStepEvents([], [event({ type: 'step_started', step: 1, name: 'reply drafting' }, 1)]);

    const steps = applyStepEvents(running, [
      event(
        {
          type: 'chain_finished',
          status: 'interrupted',
          error: { class: 'Interrupted', message: 'the server stopped' },
        },
        4,
      ),
    ]);

    expect(steps).toEqual([
      expect.objectContaining({
        step: 1,
        status: 'failed',
        finishedAt: at(4),
        error: { class: 'Interrupted', message: 'the chain stopped before this step finished' },
      }),
    ]);
    expect(running[0]?.status).toBe('running');
  });
});
