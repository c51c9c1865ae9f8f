import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import { untimed } from './bulk-load.js';
import type { DatabaseHandle } from './client.js';
import { SingleSessionError } from './single-session-error.js';
import { allSettled, withLanes } from './work-lanes.js';

describe('withLanes', () => {
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('opens two lanes where the database has the connections, and refuses them at once on PGlite, which is one session', async () => {
    let started = false;
    const opening = withLanes(
      database.db,
      2,
      async () => {},
      untimed,
      async (lanes) => {
        started = true;
        return lanes.run(1, 'count the lanes', async () => lanes.count);
      },
    );
    const outcome = await opening.then(
      (count) => ({ count }),
      (error: unknown) => ({ refused: SingleSessionError.isInstance(error) && error.connections }),
    );
    expect(outcome).toEqual(database.kind === 'pglite' ? { refused: 2 } : { count: 2 });
    expect(started).toBe(database.kind !== 'pglite');
  });
});

describe('allSettled', () => {
  it('throws the one failure as it is, once every part has settled', async () => {
    const failure = new RangeError('part one failed');
    let secondEnded = false;
    const second = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      secondEnded = true;
    });
    await expect(allSettled([Promise.reject(failure), second])).rejects.toBe(failure);
    expect(secondEnded).toBe(true);
  });

  it('throws every failure, in the order they failed, the first as the cause, each error once', async () => {
    const first = new RangeError('part one failed');
    const second = new Error('part two failed');
    const later = new Promise<never>((_resolve, reject) => setImmediate(() => reject(second)));
    const error = await allSettled([later, Promise.reject(first), Promise.reject(first)]).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect(error).toMatchObject({
      errors: [first, second],
      cause: first,
      message: '2 parts failed: part one failed; part two failed',
    });
  });
});
