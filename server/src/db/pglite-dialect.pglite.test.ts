import { CompiledQuery, type Generated, Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { readPgliteTemplate } from '../../test/pglite-template.js';
import { type OpenDialect, type PGliteThread, createDialect } from './dialect.js';

const template = () => readPgliteTemplate(inject('pgliteTemplate'));

interface HandOverTable {
  seq: Generated<number>;
  label: string;
}

describe.each<PGliteThread>(['worker', 'main'])('statements handed over to PGlite (%s thread)', (thread) => {
  let opened: OpenDialect;
  let db: Kysely<{ hand_over: HandOverTable }>;

  function handOver(label: string): Promise<unknown> {
    const { executeHandedOver } = opened;
    if (!executeHandedOver) throw new Error('PGlite offers executeHandedOver');
    return executeHandedOver(CompiledQuery.raw('insert into hand_over (label) values ($1)', [label]));
  }

  beforeAll(async () => {
    opened = createDialect({ kind: 'pglite', dataDir: 'memory://', loadDataDir: template(), thread });
    db = new Kysely({ dialect: opened.dialect });
    await opened.ready;
    await sql`create table hand_over (seq int generated always as identity primary key, label text not null unique)`.execute(
      db,
    );
  });
  afterAll(() => db?.destroy());

  it('run in the order they were handed over, interleaved with other statements as called', async () => {
    const labels = Array.from({ length: 20 }, (_, index) => `in order ${index}`);
    const written = labels.map((label) => handOver(label));
    const read = db
      .selectFrom('hand_over')
      .select('label')
      .where('label', 'like', 'in order %')
      .orderBy('seq')
      .execute();

    await Promise.all(written);
    expect((await read).map((row) => row.label)).toEqual(labels);
  });

  it('wait for a transaction in progress and never run inside it', async () => {
    let handedOver: Promise<unknown> | undefined;
    const rolledBack = db
      .transaction()
      .execute(async (transaction) => {
        await transaction.insertInto('hand_over').values({ label: 'inside the transaction' }).execute();
        handedOver = handOver('outside the transaction');
        await transaction.insertInto('hand_over').values({ label: 'inside the transaction, again' }).execute();
        throw new Error('roll back');
      })
      .catch((error: unknown) => error);

    expect(await rolledBack).toMatchObject({ message: 'roll back' });
    await handedOver;
    const rows = await db.selectFrom('hand_over').select('label').where('label', 'like', '%transaction%').execute();
    expect(rows).toEqual([{ label: 'outside the transaction' }]);
  });

  it('fail alone: the statement handed over after a failed one runs', async () => {
    const failed = handOver('twice').then(() => handOver('twice'));
    const after = handOver('after the duplicate');

    await expect(failed).rejects.toMatchObject({ code: '23505' });
    await after;
    const rows = await db.selectFrom('hand_over').select('label').where('label', '=', 'after the duplicate').execute();
    expect(rows).toHaveLength(1);
  });
});
