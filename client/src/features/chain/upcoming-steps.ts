/** A planned step not started yet: its name, and its place in the plan (from 0). */
export interface UpcomingStep {
  name: string;
  place: number;
}

/**
 * The planned steps a chain has not started yet, in the plan's order: each started step uses up the first planned
 * step of its name, so a step planned twice is still to come after its first run, and a step off the plan changes
 * nothing.
 */
export function upcomingSteps(planned: readonly string[], started: readonly { name: string }[]): UpcomingStep[] {
  const remaining = planned.map((name, place) => ({ name, place }));
  for (const step of started) {
    const index = remaining.findIndex((next) => next.name === step.name);
    if (index !== -1) remaining.splice(index, 1);
  }
  return remaining;
}
