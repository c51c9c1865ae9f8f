import { describe, expect, it } from 'vitest';
import { type CallAttempt, groupIntoCalls } from './chain-calls.js';

function attempt(name: string, number: number, overrides: Partial<CallAttempt> = {}): CallAttempt {
  return {
    id: `${name}#${number}`,
    callId: `${name}#1`,
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
  it('groups attempts by their call, each call where its first attempt is, when calls of one task interleave', () => {
    // A#1 fails, B#1 starts, A#2 starts, B#1 fails, then B#2: read from the numbers and statuses alone, A#2 looked
    // like B#1's retry and A#1 like a call that failed for good.
    const rows = [
      attempt('a', 1, { id: 'A#1', callId: 'A#1', status: 'error' }),
      attempt('a', 1, { id: 'B#1', callId: 'B#1', status: 'error' }),
      attempt('a', 2, { id: 'A#2', callId: 'A#1' }),
      attempt('a', 2, { id: 'B#2', callId: 'B#1' }),
      attempt('b', 1, { id: 'C#1', callId: 'C#1' }),
    ];
    expect(groupIntoCalls(rows).map((call) => call.map((row) => row.id))).toEqual([
      ['A#1', 'A#2'],
      ['B#1', 'B#2'],
      ['C#1'],
    ]);
  });

  it("orders a call's attempts by number, so its last is the highest", () => {
    // Written in one millisecond, a retry read at that precision may sort before the attempt it follows.
    const rows = [attempt('a', 1, { status: 'error' }), attempt('a', 3), attempt('a', 2, { status: 'error' })];
    expect(groupIntoCalls(rows).map((call) => call.map((row) => row.attempt))).toEqual([[1, 2, 3]]);
  });

  it('keeps an attempt whose earlier ones are missing as a call of its own', () => {
    expect(groupIntoCalls([attempt('a', 2, { callId: 'a#2' })]).map((call) => call.length)).toEqual([1]);
  });
});
