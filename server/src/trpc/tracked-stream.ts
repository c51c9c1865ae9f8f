import { type TrackedEnvelope, tracked } from '@trpc/server';
import { encodeOnce } from './shared-encoding.js';

type TrackedStep<Item> = IteratorResult<TrackedEnvelope<Item>>;

/**
 * Tracked subscription items for streams whose items are shared by every subscriber of the process (one object per
 * event): each item's envelope and iterator step are made once, and its JSON is written once (encodeOnce).
 */
export class TrackedSteps<Item extends { id: string }> {
  private readonly steps = new WeakMap<Item, TrackedStep<Item>>();

  /** `source`'s items, each tracked by its id; what `source` throws goes to `rethrow`, which throws it translated. */
  of(source: AsyncIterator<Item>, rethrow: (error: unknown) => never): AsyncIterableIterator<TrackedEnvelope<Item>> {
    return new TrackedIterator(source, this.toStep, rethrow);
  }

  private readonly toStep = (step: IteratorResult<Item>): TrackedStep<Item> => {
    if (step.done) return step;
    let shared = this.steps.get(step.value);
    if (!shared) {
      shared = { done: false, value: trackedOnce(step.value) };
      this.steps.set(step.value, shared);
    }
    return shared;
  };
}

function trackedOnce<Item extends { id: string }>(item: Item): TrackedEnvelope<Item> {
  return tracked(item.id, encodeOnce(item));
}

/** One subscriber's view: a step of `source`, mapped; one promise per step, no generator. */
class TrackedIterator<Item> implements AsyncIterableIterator<TrackedEnvelope<Item>> {
  constructor(
    private readonly source: AsyncIterator<Item>,
    private readonly toStep: (step: IteratorResult<Item>) => TrackedStep<Item>,
    private readonly rethrow: (error: unknown) => never,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<TrackedStep<Item>> {
    return this.source.next().then(this.toStep, this.rethrow);
  }

  async return(): Promise<TrackedStep<Item>> {
    const step = await this.source.return?.();
    return step ? this.toStep(step) : { done: true, value: undefined };
  }
}
