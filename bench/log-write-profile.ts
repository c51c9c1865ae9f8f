/**
 * Where the PostgreSQL backend's time goes in the log writer's two statements (the pending insert and the finished
 * upsert), on a scratch schema migrated as the app's and preloaded with finished rows:
 *   1. `explain (analyze, buffers, wal)` of the exact statements the writer sends, for one row and for a batch, as
 *      medians: planning and execution time, the triggers' time, WAL records, full-page images and bytes, buffers.
 *   2. WAL bytes per call, commit records included (the server's insert position before and after).
 *   3. The backend's CPU per call through copies of the table that each drop one index (or change one setting),
 *      interleaved round by round.
 *   4. With BENCH_PERF=1, a `perf record` of the backend over the statements as ask() sends them.
 *   BENCH_DATABASE_URL=postgres://... npx tsx bench/log-write-profile.ts
 *   BENCH_ROUNDS (5), BENCH_PRELOAD (rows, 20000), BENCH_BATCH (rows per statement in 3, 1), BENCH_COMMIT (sync|async
 *   in 3: async takes the WAL flush's noise out of an index's share), BENCH_VARIANTS (names, comma-separated)
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { openDatabase } from '../server/src/db/client.js';
import { createLogStatements } from '../server/src/db/inference-log-statements.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import { setLogLevel } from '../server/src/log.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { captureRows } from './log-write-rows.js';
import { readProcessCpuMs } from './process-cpu.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
const COMMIT = process.env.BENCH_COMMIT === 'sync' ? 'sync' : 'async';
const CALLS_PER_ROUND = 200;
const EXPLAINS = 30;

const statementFor = createLogStatements();

interface Connection {
  client: pg.Client;
  pid: number;
}

async function connect(url: string, schema: string, synchronousCommit: boolean): Promise<Connection> {
  const client = new pg.Client({
    connectionString: url,
    options: `-c search_path=${schema} -c jit=off${synchronousCommit ? '' : ' -c synchronous_commit=off'}`,
  });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return { client, pid: rows[0]?.pid ?? 0 };
}

/** Copies of a row with the given ids, as one call (or a batch of calls) writes them. */
function rowsOf(row: NewInferenceLog, ids: readonly string[], extra: Partial<NewInferenceLog> = {}): NewInferenceLog[] {
  return ids.map((id) => ({ ...row, ...extra, id, created_at: new Date() }));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface ExplainFigures {
  planningMs: number;
  executionMs: number;
  triggerMs: number;
  walRecords: number;
  walFpi: number;
  walBytes: number;
  sharedHit: number;
  sharedRead: number;
  sharedDirtied: number;
}

const numberOf = (value: unknown) => (typeof value === 'number' ? value : 0);

function figuresOf(explained: unknown): ExplainFigures {
  const top = Array.isArray(explained) ? (explained[0] as Record<string, unknown>) : {};
  const plan = (top.Plan ?? {}) as Record<string, unknown>;
  const triggers = Array.isArray(top.Triggers) ? (top.Triggers as Record<string, unknown>[]) : [];
  return {
    planningMs: numberOf(top['Planning Time']),
    executionMs: numberOf(top['Execution Time']),
    triggerMs: triggers.reduce((total, trigger) => total + numberOf(trigger.Time), 0),
    walRecords: numberOf(plan['WAL Records']),
    walFpi: numberOf(plan['WAL FPI']),
    walBytes: numberOf(plan['WAL Bytes']),
    sharedHit: numberOf(plan['Shared Hit Blocks']),
    sharedRead: numberOf(plan['Shared Read Blocks']),
    sharedDirtied: numberOf(plan['Shared Dirtied Blocks']),
  };
}

async function explainStatements(connection: Connection, captured: Awaited<ReturnType<typeof captureRows>>) {
  const { pending, finished } = captured;
  console.log("\n1. explain (analyze, buffers, wal) of the writer's statements, median of", EXPLAINS);
  console.log(
    `${'statement'.padEnd(34)} ${['plan ms', 'exec ms', 'trig ms', 'WAL rec', 'FPI', 'WAL B', 'hit', 'read', 'dirtied'].map((label) => label.padStart(8)).join(' ')}`,
  );
  for (const batch of [1, 16]) {
    const samples: Record<'pending' | 'finished', ExplainFigures[]> = { pending: [], finished: [] };
    let shown = false;
    for (let index = 0; index < EXPLAINS; index++) {
      const ids = Array.from({ length: batch }, () => uuidv7());
      for (const [kind, row] of [
        ['pending', pending],
        ['finished', finished],
      ] as const) {
        const statement = statementFor(rowsOf(row, ids));
        if (!shown && batch === 1) {
          console.log(`   ${kind}: ${statement.text}`);
          if (kind === 'finished') shown = true;
        }
        const { rows } = await connection.client.query<{ 'QUERY PLAN': unknown }>({
          text: `explain (analyze, buffers, wal, format json) ${statement.text}`,
          values: statement.values,
        });
        samples[kind].push(figuresOf(rows[0]?.['QUERY PLAN']));
      }
    }
    for (const kind of ['pending', 'finished'] as const) {
      const list = samples[kind];
      const pick = (key: keyof ExplainFigures) => median(list.map((figures) => figures[key]));
      const cells = [
        pick('planningMs').toFixed(3),
        pick('executionMs').toFixed(3),
        pick('triggerMs').toFixed(3),
        String(pick('walRecords')),
        String(pick('walFpi')),
        String(pick('walBytes')),
        String(pick('sharedHit')),
        String(pick('sharedRead')),
        String(pick('sharedDirtied')),
      ];
      console.log(
        `${`${kind}, ${batch} row${batch > 1 ? 's' : ''}`.padEnd(34)} ${cells.map((cell) => cell.padStart(8)).join(' ')}`,
      );
    }
  }
  // One plan whole, to read its shape.
  const ids = [uuidv7()];
  const pendingStatement = statementFor(rowsOf(pending, ids));
  await connection.client.query({ text: pendingStatement.text, values: pendingStatement.values });
  const statement = statementFor(rowsOf(finished, ids));
  const { rows } = await connection.client.query<{ 'QUERY PLAN': string }>({
    text: `explain (analyze, buffers, wal, verbose) ${statement.text}`,
    values: statement.values,
  });
  console.log(
    `   the finished upsert over its pending row:\n${rows.map((row) => `     ${row['QUERY PLAN']}`).join('\n')}`,
  );
}

async function walPerCall(connection: Connection, captured: Awaited<ReturnType<typeof captureRows>>) {
  const lsn = async () => {
    const { rows } = await connection.client.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
    return rows[0]?.lsn ?? '0/0';
  };
  const calls = 200;
  const before = await lsn();
  for (let index = 0; index < calls; index++) {
    const ids = [uuidv7()];
    await connection.client.query(statementFor(rowsOf(captured.pending, ids)));
    await connection.client.query(statementFor(rowsOf(captured.finished, ids)));
  }
  const after = await lsn();
  const { rows } = await connection.client.query<{ bytes: string }>(
    'select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text as bytes',
    [after, before],
  );
  console.log(
    `\n2. WAL per call (pending insert + finished upsert, both committed; other sessions' WAL in the same seconds counts too): ${(Number(rows[0]?.bytes) / calls).toFixed(0)} bytes`,
  );
  const { rows: sizes } = await connection.client.query<{
    row_bytes: number;
    request: number;
    response: number;
    output: number;
  }>(
    `select pg_column_size(log.*) as row_bytes, pg_column_size(request) as request, pg_column_size(response) as response,
            pg_column_size(output) as output from inference_log as log where status = 'ok' order by id desc limit 1`,
  );
  const size = sizes[0];
  if (size)
    console.log(
      `   a finished row as stored: ${size.row_bytes} bytes (request ${size.request}, response ${size.response}, output ${size.output})`,
    );
}

// The roll-up triggers' "before today (UTC)" (migration 2026-12-03T2200-task-stats-rollup).
const TODAY_UTC = `date_trunc('day', clock_timestamp() at time zone 'UTC') at time zone 'UTC'`;

interface Variant {
  name: string;
  /** SQL run on the copy (named {table}) after it is made with every index of the log and no trigger. */
  change: string;
  /** The app's own table, triggers included. */
  real?: boolean;
  /** How the finished row goes: the writer's upsert (default), a plain update of the pending row, or no pending row. */
  finishedBy?: 'upsert' | 'update' | 'finishedOnly';
}

/** The finished row as a plain update of its pending row (what the upsert does when the pending row is there). */
function updateStatement(row: NewInferenceLog): { text: string; values: unknown[] } {
  const columns = Object.keys(row).filter(
    (column) => column !== 'id' && column !== 'created_at',
  ) as (keyof NewInferenceLog)[];
  return {
    text: `update inference_log set ${columns.map((column, index) => `${column} = $${index + 2}`).join(', ')} where id = $1`,
    values: [row.id, ...columns.map((column) => row[column] ?? null)],
  };
}

async function indexVariants(admin: pg.Client, schema: string): Promise<Variant[]> {
  const { rows } = await admin.query<{ name: string; primary: boolean }>(
    `select index.relname as name, i.indisprimary as primary from pg_index as i
     join pg_class as index on index.oid = i.indexrelid join pg_class as log on log.oid = i.indrelid
     join pg_namespace as namespace on namespace.oid = log.relnamespace
     where log.relname = 'inference_log' and namespace.nspname = $1 order by index.relname`,
    [schema],
  );
  const secondary = rows.filter((row) => !row.primary).map((row) => row.name);
  return [
    { name: 'the log as migrated (triggers too)', change: '', real: true },
    { name: 'every index, no trigger', change: '' },
    ...secondary.map((index) => ({
      name: `without ${index.replace(/^inference_log_/, '').replace(/_idx$/, '')}`,
      // The copy names its indexes after their columns; find the one made from this index by its definition.
      change: `do $$ declare copied text; begin
        select format('%I.%I', n.nspname, c.relname) into copied from pg_index i join pg_class c on c.oid = i.indexrelid
        join pg_namespace n on n.oid = c.relnamespace
        where i.indrelid = '{table}'::regclass
          and regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') =
              regexp_replace(pg_get_indexdef('${schema}.${index}'::regclass), '^.* USING ', '');
        execute format('drop index %s', copied); end $$`,
    })),
    {
      name: 'primary key only',
      change: `do $$ declare copied text; begin
        for copied in select format('%I.%I', n.nspname, c.relname) from pg_index i join pg_class c on c.oid = i.indexrelid
          join pg_namespace n on n.oid = c.relnamespace
          where i.indrelid = '{table}'::regclass and not i.indisprimary loop execute format('drop index %s', copied); end loop; end $$`,
    },
    {
      name: 'GIN fastupdate off',
      change: `do $$ declare copied text; begin
        select format('%I.%I', n.nspname, c.relname) into copied from pg_index i join pg_class c on c.oid = i.indexrelid
        join pg_am a on a.oid = c.relam join pg_namespace n on n.oid = c.relnamespace
        where i.indrelid = '{table}'::regclass and a.amname = 'gin';
        execute format('alter index %s set (fastupdate = off)', copied); end $$`,
    },
    { name: 'fillfactor 70', change: 'alter table {table} set (fillfactor = 70)' },
    {
      name: 'task_stats triggers copied',
      change: `do $$ declare definition text; begin
        for definition in select pg_get_triggerdef(t.oid) from pg_trigger t
          where t.tgrelid = '${schema}.inference_log'::regclass and not t.tgisinternal loop
          execute replace(definition, ' ON ${schema}.inference_log ', ' ON {table} '); end loop; end $$`,
    },
    ...(
      [
        ['clock part', (row: string) => `${row}.created_at < ${TODAY_UTC}`],
        // True for every row: the trigger function runs, as for a row of a closed day.
        ['setting part', () => `current_setting('chainlog.task_stats_stale', true) is distinct from 'off'`],
      ] as const
    ).map(([part, when]) => ({
      name: `task_stats triggers, WHEN its ${part} only`,
      change: `create trigger stale_after_insert after insert on {table} for each row when (${when('new')})
          execute function ${schema}.task_stats_mark_stale();
        create trigger stale_after_update after update on {table} for each row when (${when('old')} or ${when('new')})
          execute function ${schema}.task_stats_mark_stale()`,
    })),
    {
      name: 'task_stats triggers, WHEN (false)',
      change: `create trigger stale_after_insert after insert on {table} for each row when (false)
          execute function ${schema}.task_stats_mark_stale();
        create trigger stale_after_update after update on {table} for each row when (false)
          execute function ${schema}.task_stats_mark_stale()`,
    },
    { name: 'every index, finished row by update', change: '', finishedBy: 'update' },
    { name: 'every index, finished row only', change: '', finishedBy: 'finishedOnly' },
  ];
}

async function compareVariants(
  url: string,
  admin: pg.Client,
  schema: string,
  captured: Awaited<ReturnType<typeof captureRows>>,
) {
  const chosenNames = process.env.BENCH_VARIANTS?.split(',');
  const variants = (await indexVariants(admin, schema)).filter(
    (variant) => !chosenNames || chosenNames.some((name) => variant.name.includes(name)),
  );
  const runners = [];
  for (const [index, variant] of variants.entries()) {
    const variantSchema = variant.real ? schema : `${schema}_v${index}`;
    if (!variant.real) {
      await admin.query(`create schema ${variantSchema}`);
      const table = `${variantSchema}.inference_log`;
      await admin.query(`create table ${table} (like ${schema}.inference_log including all)`);
      if (variant.change) await admin.query(variant.change.replaceAll('{table}', table));
      await admin.query(`insert into ${table} select * from ${schema}.inference_log`);
      await admin.query(`vacuum analyze ${table}`);
      // request_template and the search function live in the app's schema: reach them from the copy's.
    }
    const connection = await connect(url, variant.real ? schema : `${variantSchema},${schema}`, COMMIT === 'sync');
    const call = async () => {
      const ids = Array.from({ length: BATCH }, () => uuidv7());
      if (variant.finishedBy !== 'finishedOnly')
        await connection.client.query(statementFor(rowsOf(captured.pending, ids)));
      if (variant.finishedBy === 'update')
        for (const row of rowsOf(captured.finished, ids)) await connection.client.query(updateStatement(row));
      else await connection.client.query(statementFor(rowsOf(captured.finished, ids)));
    };
    for (let warm = 0; warm < 50; warm++) await call();
    runners.push({ variant, connection, call, cpuMs: 0, wallMs: 0, calls: 0 });
  }
  for (let round = 0; round < ROUNDS; round++) {
    const shift = round % runners.length;
    for (const runner of [...runners.slice(shift), ...runners.slice(0, shift)]) {
      const cpuBefore = readProcessCpuMs(runner.connection.pid) ?? Number.NaN;
      const started = performance.now();
      for (let index = 0; index < CALLS_PER_ROUND; index++) await runner.call();
      runner.wallMs += performance.now() - started;
      runner.cpuMs += (readProcessCpuMs(runner.connection.pid) ?? Number.NaN) - cpuBefore;
      runner.calls += CALLS_PER_ROUND * BATCH;
    }
  }
  console.log(
    `\n3. backend CPU per call (pending insert + finished upsert, ${BATCH} row${BATCH > 1 ? 's' : ''} a statement, ${COMMIT} commit, ${ROUNDS} x ${CALLS_PER_ROUND} statements pairs per variant)`,
  );
  const base = runners.find((runner) => runner.variant.name === 'every index, no trigger');
  const baseCpu = base ? base.cpuMs / base.calls : Number.NaN;
  console.log(
    `${'variant'.padEnd(44)} ${'CPU ms/call'.padStart(12)} ${'vs every index'.padStart(15)} ${'wall ms/call'.padStart(13)}`,
  );
  for (const runner of runners) {
    const cpu = runner.cpuMs / runner.calls;
    console.log(
      `${runner.variant.name.padEnd(44)} ${cpu.toFixed(3).padStart(12)} ${(cpu - baseCpu).toFixed(3).padStart(15)} ${(runner.wallMs / runner.calls).toFixed(3).padStart(13)}`,
    );
  }
  for (const runner of runners) await runner.connection.client.end();
}

async function perfProfile(url: string, schema: string, captured: Awaited<ReturnType<typeof captureRows>>) {
  const connection = await connect(url, schema, true);
  const output = `/tmp/log-write-perf-${process.pid}.data`;
  const recorder = spawn('perf', ['record', '-F', '4999', '-g', '-p', String(connection.pid), '-o', output], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let index = 0; index < 3_000; index++) {
    const ids = Array.from({ length: BATCH }, () => uuidv7());
    await connection.client.query(statementFor(rowsOf(captured.pending, ids)));
    await connection.client.query(statementFor(rowsOf(captured.finished, ids)));
  }
  recorder.kill('SIGINT');
  await once(recorder, 'exit');
  await connection.client.end();
  for (const children of [false, true]) {
    const report = spawnSync(
      'perf',
      [
        'report',
        '-i',
        output,
        '--stdio',
        children ? '--children' : '--no-children',
        '--sort',
        'sym',
        '-g',
        'none',
        '--percent-limit',
        children ? '2' : '0.8',
      ],
      { encoding: 'utf8' },
    );
    console.log(
      `\n4. perf of the backend, ${children ? 'inclusive (children)' : 'self'}:\n${report.stdout
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .join('\n')}`,
    );
  }
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('log-write-profile needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
  const schema = `logprof_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const migrated = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  const captured = await captureRows(migrated.db);
  await migrated.close();
  try {
    const connection = await connect(url, schema, true);
    await connection.client.query({
      text: 'insert into request_template (id, output, system_messages) values ($1, $2, $3) on conflict do nothing',
      values: [captured.template.id, captured.template.output, captured.template.system_messages],
    });
    for (let loaded = 0; loaded < PRELOAD; loaded += 500) {
      const ids = Array.from({ length: Math.min(500, PRELOAD - loaded) }, () => uuidv7());
      const { text, values } = statementFor(rowsOf(captured.finished, ids));
      await connection.client.query({ text, values });
    }
    await connection.client.query('vacuum analyze inference_log');
    console.log(`scratch schema ${schema}, ${PRELOAD} finished rows preloaded`);
    await explainStatements(connection, captured);
    await walPerCall(connection, captured);
    await connection.client.end();
    if (process.env.BENCH_PERF === '1') await perfProfile(url, schema, captured);
    if (process.env.BENCH_SKIP_VARIANTS !== '1') await compareVariants(url, admin, schema, captured);
  } finally {
    const { rows } = await admin.query<{ name: string }>(
      `select nspname as name from pg_namespace where nspname like $1`,
      [`${schema}%`],
    );
    for (const { name } of rows) await admin.query(`drop schema ${name} cascade`);
    await admin.query(`drop schema if exists ${jobsSchemaFor(schema)} cascade`);
    await admin.end();
  }
}

await main();
