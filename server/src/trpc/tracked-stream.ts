import { type TrackedEnvelope, tracked } from '@trpc/server';
import { type ItemSink, PUSH, type PushableIterator, type Pushing } from '../pushed-stream.js';
import { encodeOnce } from './shared-encoding.js';

type TrackedStep<Item> = IteratorResult<TrackedEnvelope<Item>>;

/**
 * Tracked subscription items for streams whose items are shared by every subscriber of the process (one object per
 * event): each item's envelope and iterator step are made once, and its JSON is written once (encodeOnce).
 */
export class TrackedSteps<Item extends { id: string }> {
  private readonly steps = new WeakMap<Item, IteratorYieldResult<TrackedEnvelope<Item>>>();

  /**
   * `source`'s items, each tracked by its id, iterated or pushed as `source` is; what `source` throws goes to
   * `rethrow`, which throws it translated.
   */
  of(source: PushableIterator<Item>, rethrow: (error: unknown) => never): PushableIterator<TrackedEnvelope<Item>> {
    return new TrackedIterator(source, this, rethrow);
  }

  stepOf(item: Item): IteratorYieldResult<TrackedEnvelope<Item>> {
    let shared = this.steps.get(item);
    if (!shared) {
      shared = { done: false, value: tracked(item.id, encodeOnce(item)) };
      this.steps.set(item, shared);
    }
    return shared;
  }

  readonly toStep = (step: IteratorResult<Item>): TrackedStep<Item> => (step.done ? step : this.stepOf(step.value));
}

/** One subscriber's view: a step of `source`, mapped; one promise per step, no generator. */
class TrackedIterator<Item extends { id: string }> implements PushableIterator<TrackedEnvelope<Item>> {
  constructor(
    private readonly source: PushableIterator<Item>,
    private readonly steps: TrackedSteps<Item>,
    private readonly rethrow: (error: unknown) => never,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<TrackedStep<Item>> {
    return this.source.next().then(this.steps.toStep, this.rethrow);
  }

  async return(): Promise<TrackedStep<Item>> {
    const step = await this.source.return?.();
    return step ? this.steps.toStep(step) : { done: true, value: undefined };
  }

  [PUSH](sink: ItemSink<TrackedEnvelope<Item>>): Pushing {
    return this.source[PUSH](new TrackedSink(sink, this.steps, this.rethrow));
  }
}

/** The same, pushed: one object per subscriber, no closure. */
class TrackedSink<Item extends { id: string }> implements ItemSink<Item> {
  constructor(
    private readonly sink: ItemSink<TrackedEnvelope<Item>>,
    private readonly steps: TrackedSteps<Item>,
    private readonly rethrow: (error: unknown) => never,
  ) {}

  item(item: Item): void {
    this.sink.item(this.steps.stepOf(item).value);
  }

  end(): void {
    this.sink.end();
  }

  fail(error: unknown): void {
    try {
      this.rethrow(error);
    } catch (translated) {
      this.sink.fail(translated);
    }
  }
}
