import { readdirSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { MIGRATION_FOLDER } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

describe('migrations', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  it("create inference_log with the contract columns and the analysts' indexes", async () => {
    const columns = await sql<{ column_name: string; data_type: string }>`
      select column_name, data_type from information_schema.columns
      where table_name = 'inference_log' and table_schema = current_schema() order by ordinal_position`.execute(
      database.db,
    );
    expect(columns.rows.map((column) => column.column_name)).toEqual([
      'id',
      'chain_id',
      'name',
      'provider',
      'model',
      'status',
      'attempt',
      'request',
      'response',
      'output',
      'error',
      'input_tokens',
      'output_tokens',
      'cost_usd',
      'latency_ms',
      'provider_request_id',
      'created_at',
      'finished_at',
      'instance_id',
      'chain_step',
      'price_source',
      'request_template_id',
      'call_id',
    ]);
    const types = Object.fromEntries(columns.rows.map((column) => [column.column_name, column.data_type]));
    expect(types).toMatchObject({
      chain_id: 'uuid',
      chain_step: 'integer',
      request: 'jsonb',
      cost_usd: 'numeric',
      price_source: 'text',
      created_at: 'timestamp with time zone',
    });
    const indexes = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where tablename = 'inference_log' and schemaname = current_schema()`.execute(
      database.db,
    );
    const definitions = indexes.rows.map((index) => index.indexdef).join('\n');
    expect(definitions).toMatch(/\(chain_id\)/);
    expect(definitions).toMatch(/\(name, created_at\)/);
  });

  it('reject a status outside pending, ok and error', async () => {
    await expect(
      sql`insert into inference_log (id, chain_id, name, provider, model, status, request)
          values (gen_random_uuid(), gen_random_uuid(), 't', 'p', 'm', 'done', '{}')`.execute(database.db),
    ).rejects.toThrow(/violates check constraint "inference_log_status_check"/);
  });
});

describe('the static migration list', () => {
  it('names every file of the migrations folder, so the server and kysely-ctl apply the same ones', () => {
    const files = readdirSync(MIGRATION_FOLDER)
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(MIGRATIONS).sort()).toEqual(files);
  });
});
