import { describe, expect, it } from 'vitest';
import { type CallAttempt, groupIntoCalls } from './chain-calls.js';

function attempt(name: string, number: number, overrides: Partial<CallAttempt> = {}): CallAttempt {
  return {
    id: `${name}#${number}`,
    name,
    status: 'ok',
    attempt: number,
    provider: 'openai',
    model: 'gpt-test',
    latencyMs: 100,
    inputTokens: 10,
    outputTokens: 2,
    costUsd: '0.10000000',
    errorClass: null,
    createdAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:00:01.000Z',
    ...overrides,
  };
}

describe('groupIntoCalls', () => {
  it('starts a call at each attempt 1 and puts a retry under the call of its name it continues, when calls interleave', () => {
    const failed = { status: 'error' } as const;
    const rows = [
      attempt('a', 1, failed),
      attempt('b', 1, failed),
      attempt('a', 2),
      attempt('a', 1, failed),
      attempt('b', 2),
      attempt('a', 2, failed),
      attempt('a', 3),
    ];
    expect(groupIntoCalls(rows).map((call) => call.map((row) => row.id))).toEqual([
      ['a#1', 'a#2'],
      ['b#1', 'b#2'],
      ['a#1', 'a#2', 'a#3'],
    ]);
  });

  it('continues the newest failed attempt of its number: never one that answered or is still pending', () => {
    // Two calls of one task side by side: the first failed, the second started and is still waiting for its answer.
    const rows = [
      attempt('a', 1, { id: 'first', status: 'error' }),
      attempt('a', 1, { id: 'second', status: 'pending' }),
      attempt('a', 2, { id: 'first retried', status: 'error' }),
      attempt('a', 1, { id: 'third', status: 'ok' }),
      attempt('a', 3, { id: 'first again' }),
    ];

    expect(groupIntoCalls(rows).map((call) => call.map((row) => row.id))).toEqual([
      ['first', 'first retried', 'first again'],
      ['second'],
      ['third'],
    ]);
  });

  it('keeps an attempt whose earlier ones are missing as a call of its own', () => {
    expect(groupIntoCalls([attempt('a', 2)]).map((call) => call.length)).toEqual([1]);
  });
});
