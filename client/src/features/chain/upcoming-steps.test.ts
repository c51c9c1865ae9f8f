import { describe, expect, it } from 'vitest';
import { upcomingSteps } from './upcoming-steps.js';

const PLAN = ['intent recognition', 'entity extraction', 'reply drafting'];
const started = (...names: string[]) => names.map((name) => ({ name }));
const upcomingNames = (planned: readonly string[], startedSteps: { name: string }[]) =>
  upcomingSteps(planned, startedSteps).map((step) => step.name);

describe('the steps still to come', () => {
  it('are the plan after the steps started, in its order', () => {
    expect(upcomingNames(PLAN, [])).toEqual(PLAN);
    expect(upcomingNames(PLAN, started('intent recognition'))).toEqual(['entity extraction', 'reply drafting']);
    expect(upcomingNames(PLAN, started(...PLAN))).toEqual([]);
    expect(upcomingNames([], started('intent recognition'))).toEqual([]);
  });

  it('count a step planned twice once per run, and ignore steps off the plan', () => {
    expect(upcomingSteps(['draft', 'review', 'draft'], started('draft'))).toEqual([
      { name: 'review', place: 1 },
      { name: 'draft', place: 2 },
    ]);
    expect(upcomingNames(PLAN, started('intent recognition', 'translation'))).toEqual([
      'entity extraction',
      'reply drafting',
    ]);
    // Out of order: what has started is not to come, whatever its place.
    expect(upcomingNames(PLAN, started('entity extraction'))).toEqual(['intent recognition', 'reply drafting']);
  });
});
