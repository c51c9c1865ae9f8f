import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalystSeed, seedAnalystData } from '../../test/analyst-seed.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { seedSyntheticData } from '../db/synthetic-seed.js';
import { uuidv7 } from '../uuid-v7.js';

const TOKEN = 'export-test-token-4f1c9a7e2b';
const AUTH = { authorization: `Bearer ${TOKEN}` };
// Over 1,000 chains as well as logs: both exports read more than one page.
const SYNTHETIC_LOGS = 3_000;

/** RFC 4180: quoted cells may hold commas, CR, LF and doubled quotes; lines end with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

function records(csv: string[][]): Record<string, string>[] {
  const [header = [], ...rows] = csv;
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

describe('GET /export/logs and /export/chains, on the real server with a token', () => {
  let database: DatabaseHandle;
  let server: RunningServer;
  let seed: AnalystSeed;
  const exportUrl = (path: string) => `${server.url}${path}`;
  const get = (path: string, headers: Record<string, string> = AUTH) => fetch(exportUrl(path), { headers });
  const sqlRows = async <Row>(text: string, parameters: unknown[] = []) =>
    (await database.db.executeQuery<Row>(CompiledQuery.raw(text, parameters))).rows;

  beforeAll(async () => {
    database = await openTestDatabase();
    seed = await seedAnalystData(database.db);
    await seedSyntheticData(database.db, { logs: SYNTHETIC_LOGS });
    // Statistics, as autovacuum would gather soon after a bulk load: without them PostgreSQL picked bad plans for the
    // chains export's pages.
    await sql`analyze inference_log, chain`.execute(database.db);
    // A task name and an error message an attacker or an accident could write: quotes, commas, a line break, formulas.
    await database.db
      .insertInto('inference_log')
      .values({
        id: uuidv7(),
        chain_id: seed.chainIds.askToday,
        name: 'odd, "quoted"\nname',
        provider: 'offline',
        model: '=cmd|calc',
        status: 'error',
        attempt: 1,
        request: '{}',
        error: JSON.stringify({ class: '@SUM(A1)', message: '+1 "and" -2' }),
      })
      .execute();
    server = await startRunningServer({ database, env: { CHAINLOG_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it("exports every log as CSV, newest first, with the analysts' columns and a dated attachment name", async () => {
    const response = await get('/export/logs?format=csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="chainlog-logs-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const csv = parseCsv(await response.text());
    expect(csv[0]).toEqual([
      'id',
      'chain_id',
      'name',
      'provider',
      'model',
      'status',
      'attempt',
      'call_id',
      'input_tokens',
      'output_tokens',
      'cost_usd',
      'price_source',
      'latency_ms',
      'created_at',
      'finished_at',
      'error_class',
      'error_message',
    ]);
    const expected = await sqlRows<{ id: string }>('select id from inference_log order by id desc');
    // More than one page of 1,000: the cursor (PostgreSQL) or the keyset pages (PGlite) go on where they stopped.
    expect(expected.length).toBeGreaterThan(SYNTHETIC_LOGS);
    expect(records(csv).map((row) => row.id)).toEqual(expected.map((row) => row.id));

    // Each time as the database holds it, to the microsecond: the export joins back to SQL on it.
    const times = records(csv).map(({ id, created_at, finished_at }) => ({
      id,
      created_at,
      finished_at: finished_at === '' ? null : finished_at,
    }));
    expect(times.some((row) => /\.\d{3}(?!000)\d{3}Z$/.test(row.created_at ?? ''))).toBe(true);
    const [same] = await sqlRows<{ rows: number }>(
      `select count(*)::int as rows
       from jsonb_to_recordset($1::jsonb) as exported(id uuid, created_at timestamptz, finished_at timestamptz)
       join inference_log as log on log.id = exported.id
       where log.created_at = exported.created_at and log.finished_at is not distinct from exported.finished_at`,
      [JSON.stringify(times)],
    );
    expect(same?.rows).toBe(times.length);
  });

  it('quotes cells per RFC 4180 and defuses text that a spreadsheet would run as a formula', async () => {
    const rows = records(parseCsv(await (await get('/export/logs?format=csv&provider=offline&status=error')).text()));
    const odd = rows.find((row) => row.name === 'odd, "quoted"\nname');
    expect(odd).toMatchObject({
      model: "'=cmd|calc",
      error_class: "'@SUM(A1)",
      error_message: '\'+1 "and" -2',
      input_tokens: '',
      cost_usd: '',
    });
  });

  it('applies the same filters as logs.list, and its order and cursor', async () => {
    const query = `name=${encodeURIComponent('reply drafting')}&status=error&order=asc`;
    const rows = records(parseCsv(await (await get(`/export/logs?format=csv&${query}`)).text()));
    const expected = await sqlRows<{ id: string }>(
      `select id from inference_log where name = 'reply drafting' and status = 'error' order by id`,
    );
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.map((row) => row.id)).toEqual(expected.map((row) => row.id));
    expect(new Set(rows.map((row) => `${row.name}/${row.status}`))).toEqual(new Set(['reply drafting/error']));

    const chain = records(
      parseCsv(await (await get(`/export/logs?format=csv&chainId=${seed.chainIds.replyRetried}`)).text()),
    );
    const chainIds = await sqlRows<{ id: string }>(
      'select id from inference_log where chain_id = $1 order by id desc',
      [seed.chainIds.replyRetried],
    );
    expect(chain.map((row) => row.id)).toEqual(chainIds.map((row) => row.id));
    expect(chain.map((row) => [row.name, row.attempt, row.status, row.error_class]).sort()).toEqual([
      ['entity extraction', '1', 'ok', ''],
      ['intent recognition', '1', 'ok', ''],
      ['reply drafting', '1', 'error', 'OutputValidationError'],
      ['reply drafting', '2', 'ok', ''],
    ]);
    // The retry names the call of the attempt it follows.
    const retried = chain
      .filter((row) => row.name === 'reply drafting')
      .sort((a, b) => Number(a.attempt) - Number(b.attempt));
    expect(retried.map((row) => row.call_id)).toEqual([retried[0]?.id, retried[0]?.id]);
    const after = records(
      parseCsv(
        await (
          await get(`/export/logs?format=csv&chainId=${seed.chainIds.replyRetried}&cursor=${chain[1]?.id}`)
        ).text(),
      ),
    );
    expect(after.map((row) => row.id)).toEqual(chain.slice(2).map((row) => row.id));

    const window = await sqlRows<{ from: Date; to: Date; count: number }>(
      `select min(created_at) + interval '20 days' as "from", min(created_at) + interval '30 days' as "to", 0 as count from inference_log`,
    );
    const from = window[0]?.from.toISOString() ?? '';
    const to = window[0]?.to.toISOString() ?? '';
    const ranged = records(parseCsv(await (await get(`/export/logs?format=csv&from=${from}&to=${to}`)).text()));
    const inRange = await sqlRows<{ count: number }>(
      'select count(*)::int as count from inference_log where created_at >= $1 and created_at < $2',
      [from, to],
    );
    expect(ranged.length).toBe(inRange[0]?.count);
    expect(ranged.every((row) => (row.created_at ?? '') >= from && (row.created_at ?? '') < to)).toBe(true);
  });

  it("applies logs.list's search, latency and cost filters", async () => {
    const rows = records(
      parseCsv(
        await (
          await get('/export/logs?format=csv&q=refund&minLatencyMs=1000&maxLatencyMs=4000.5&minCostUsd=0.0005')
        ).text(),
      ),
    );
    // Every row whose prompts or output hold the word, found here without the search index.
    const expected = await sqlRows<{ id: string }>(`
      select id from inference_log
      where ((request->'messages')::text ilike '%refund%' or output::text ilike '%refund%')
        and latency_ms between 1000 and 4000.5 and cost_usd >= 0.0005
      order by id desc`);
    expect(expected.length).toBeGreaterThan(5);
    expect(rows.map((row) => row.id)).toEqual(expected.map((row) => row.id));

    const refused = await get('/export/logs?format=csv&minLatencyMs=-5');
    expect(refused.status).toBe(400);
  });

  it('writes JSON as one array of whole rows, and NDJSON as one row per line', async () => {
    const path = `/export/logs?chainId=${seed.chainIds.anthropicToday}`;
    const json = await get(`${path}&format=json`);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toMatch(/filename="chainlog-logs-[\d-]+\.json"/);
    const array = (await json.json()) as Record<string, unknown>[];
    expect(array).toHaveLength(4);
    expect(Object.keys(array[0] ?? {}).sort()).toEqual([
      'attempt',
      'call_id',
      'chain_id',
      'chain_step',
      'cost_usd',
      'created_at',
      'error',
      'finished_at',
      'id',
      'input_tokens',
      'instance_id',
      'latency_ms',
      'model',
      'name',
      'output',
      'output_tokens',
      'price_source',
      'provider',
      'provider_request_id',
      'request',
      'request_template_id',
      'response',
      'status',
    ]);
    expect(array.find((row) => row.status === 'error')).toMatchObject({
      error: { class: 'InvalidResponseBodyError' },
      request: { requestedModel: 'anthropic:claude-sonnet-4-5' },
    });
    expect(typeof array.find((row) => row.status === 'ok')?.cost_usd).toBe('number');

    const ndjson = await (await get(`${path}&format=ndjson`)).text();
    const lines = ndjson.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(array);

    expect(await (await get('/export/logs?format=json&name=nothing-has-this-name')).json()).toEqual([]);
    expect(await (await get('/export/logs?format=ndjson&name=nothing-has-this-name')).text()).toBe('');
  });

  it("exports chains with chains.list's filters and their totals over every attempt", async () => {
    const response = await get('/export/chains?format=csv&status=failed');
    expect(response.headers.get('content-disposition')).toMatch(/filename="chainlog-chains-[\d-]+\.csv"/);
    const rows = records(parseCsv(await response.text()));
    // Every chain is in chain_summary, the demo's and those only the log knows.
    const expected = await sqlRows<{ id: string }>(
      `select chain_id as id from chain_summary where status = 'failed' order by chain_id desc`,
    );
    expect(rows.map((row) => row.id)).toEqual(expected.map((row) => row.id));
    // Times to the microsecond, as the database holds them (a chain row's, or the log's first and last call).
    const times = rows.map(({ id, created_at, finished_at }) => ({ id, created_at, finished_at }));
    expect(times.some((row) => /\.\d{3}(?!000)\d{3}Z$/.test(row.created_at ?? ''))).toBe(true);
    const [same] = await sqlRows<{ rows: number }>(
      `select count(*)::int as rows
       from jsonb_to_recordset($1::jsonb) as exported(id uuid, created_at timestamptz, finished_at timestamptz)
       join chain_summary as summary on summary.chain_id = exported.id
       left join chain on chain.id = exported.id
       where exported.created_at = coalesce(chain.created_at, summary.first_call_at)
         and exported.finished_at = coalesce(chain.finished_at, summary.last_call_at)`,
      [JSON.stringify(times)],
    );
    expect(same?.rows).toBe(times.length);
    expect(rows.find((row) => row.id === seed.chainIds.failedAfterFirstStep)).toMatchObject({
      calls: '2',
      attempts: '3',
      errors: '2',
      status: 'failed',
    });
    // Calls made with ask() outside the demo: no chain row, named after the first call, failed by a call's error.
    expect(rows.find((row) => row.id === seed.chainIds.askFailedThenAsked)).toMatchObject({
      name: 'sentiment',
      calls: '3',
      attempts: '4',
      errors: '2',
      status: 'failed',
      error_class: 'ProviderError',
    });
    // No attempt reported usage: no tokens, as chain_summary says, not 0.
    expect(rows.find((row) => row.id === seed.chainIds.askFailed)).toMatchObject({
      input_tokens: '',
      output_tokens: '',
      cost_usd: '',
    });
    const all = (await (await get('/export/chains?format=json')).json()) as {
      id: string;
      attempts: number;
      input: unknown;
      recorded: boolean;
    }[];
    const everyChain = await sqlRows<{ id: string }>('select chain_id as id from chain_summary order by chain_id desc');
    // More than one page of 1,000 (the synthetic seed), read in keyset pages.
    expect(everyChain.length).toBeGreaterThan(1_000);
    expect(all.map((row) => row.id)).toEqual(everyChain.map((row) => row.id));
    expect(all.find((row) => row.id === seed.chainIds.replyRetried)).toMatchObject({
      attempts: 4,
      recorded: true,
      input: { subject: 'Order replyRetried' },
    });
    expect(all.find((row) => row.id === seed.chainIds.askYesterday)).toMatchObject({
      name: 'intent recognition',
      status: 'succeeded',
      calls: 2,
      attempts: 3,
      recorded: false,
      input: null,
    });
  });

  it("answers a bad filter with 400 and zod's issues, before touching the database", async () => {
    for (const [query, path] of [
      ['format=csv&status=bogus', 'status'],
      ['format=xlsx', 'format'],
      ['status=ok', 'format'],
      ['format=csv&chainId=not-a-uuid', 'chainId'],
      ['format=csv&from=yesterday', 'from'],
      ['format=csv&stauts=error', null],
      ['format=csv&name=a&name=b', 'name'],
      ['format=csv&limit=10', null],
    ] as const) {
      const response = await get(`/export/logs?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { data: { code: string; issues: { path: string[] }[] } } };
      expect(body.error.data.code).toBe('BAD_REQUEST');
      if (path)
        expect(
          body.error.data.issues.map((issue) => issue.path[0]),
          query,
        ).toContain(path);
      else expect(body.error.data.issues.length, query).toBeGreaterThan(0);
    }
    expect((await get('/export/chains?format=csv&status=ok')).status).toBe(400);
    expect((await get('/export/nothing?format=csv')).status).toBe(404);
    expect((await fetch(exportUrl('/export/logs?format=csv'), { method: 'POST', headers: AUTH })).status).toBe(405);
  });

  it('is behind the same door as the API: the token, and the Origin', async () => {
    const refused = await get('/export/logs?format=csv', {});
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { data: { code: 'UNAUTHORIZED' } } });
    expect((await get('/export/chains?format=csv', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(
      401,
    );
    // A bad filter without a token is still a 401: nothing about the data is answered to a stranger.
    expect((await get('/export/logs?format=bogus', {})).status).toBe(401);
    expect((await get('/export/logs?format=csv', { ...AUTH, origin: 'https://evil.example' })).status).toBe(403);
    expect((await get('/export/logs?format=csv', { ...AUTH, origin: server.url })).status).toBe(200);
  });
});

describe('an export cut off by the database', () => {
  let database: DatabaseHandle;
  let server: RunningServer;
  const applicationName = `chainlog export-cut ${process.pid}`;

  beforeAll(async () => {
    database = await openTestDatabase({ applicationName });
    // Enough rows that the file outgrows every socket buffer, so the export waits on the client mid-way.
    // The seed ends with ANALYZE: without statistics, the planner probes each call's retries through the name index,
    // and the chains export at the end takes minutes instead of seconds.
    await seedSyntheticData(database.db, { logs: 20_000 });
    server = await startRunningServer({ database });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('ends the response unfinished, and the server goes on answering', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/export/logs?format=json`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('the export has no body');
    await reader.read();
    // The client stops reading; the export waits for it with a page read. Now the database fails under it.
    if (database.kind === 'postgres') {
      await database.db.executeQuery(
        CompiledQuery.raw(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid() and state <> 'idle'`,
          [applicationName],
        ),
      );
    } else {
      await database.db.schema.alterTable('inference_log').renameTo('inference_log_gone').execute();
    }
    let failed: unknown;
    try {
      while (!(await reader.read()).done);
    } catch (error) {
      failed = error;
    }
    expect(failed, 'the cut-off file must not end as if it were complete').toBeInstanceOf(Error);
    if (database.kind !== 'postgres')
      await database.db.schema.alterTable('inference_log_gone').renameTo('inference_log').execute();
    // A cut connection marks the database down until the probe (every 500 ms) finds it back.
    await expect.poll(async () => (await fetch(`${server.url}/healthz`)).status, { timeout: 10_000 }).toBe(200);
    const again = await fetch(`${server.url}/export/chains?format=csv`);
    expect(again.status).toBe(200);
    expect((await again.text()).split('\r\n').length).toBeGreaterThan(100);
  });
});
