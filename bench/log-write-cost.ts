/**
 * Where the PostgreSQL backend's time goes when ask() writes its log row, one call at a time: the row ask() writes
 * for the bench's task (captured from a real ask() against the fake provider) goes through the writer's own
 * statements in variants that each take one thing away, interleaved round by round, with the backend's CPU read
 * from /proc and the wall time per call.
 *   BENCH_DATABASE_URL=postgres://... npx tsx bench/log-write-cost.ts     (or TEST_DATABASE_URL; BENCH_ROUNDS)
 */
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { z } from 'zod';
import { openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { createLogStatements } from '../server/src/db/inference-log-statements.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import type { NewRequestTemplate } from '../server/src/db/tables/request-template.js';
import { setLogLevel } from '../server/src/log.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { captureRows } from './log-write-rows.js';
import { readProcessCpuMs } from './process-cpu.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS_PER_ROUND = 200;

interface Variant {
  name: string;
  schema: 'full' | 'keyOnly' | 'noTriggers';
  synchronousCommit: boolean;
  /** Write the pending row first (the provider answered after the pending rows' window), or the finished only. */
  pendingFirst: boolean;
  /** The pending row goes over a second connection whose commits do not wait for the WAL flush. */
  pendingAsync?: boolean;
  /** Waits this long between the pending and the finished row, as a provider would (the backend idles meanwhile). */
  providerMs?: number;
  /** Writes the request whole in the row (as before request templates), rather than beside its template. */
  wholeRequest?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'as ask() writes it (pending, then finished)', schema: 'full', synchronousCommit: true, pendingFirst: true },
  { name: 'finished row only (answer within 2 ms)', schema: 'full', synchronousCommit: true, pendingFirst: false },
  { name: 'asynchronous commit', schema: 'full', synchronousCommit: false, pendingFirst: true },
  {
    name: 'as ask() writes it, provider answering in 20 ms',
    schema: 'full',
    synchronousCommit: true,
    pendingFirst: true,
    providerMs: 20,
  },
  {
    name: 'pending row with asynchronous commit',
    schema: 'full',
    synchronousCommit: true,
    pendingFirst: true,
    pendingAsync: true,
  },
  { name: 'primary key only (no other index)', schema: 'keyOnly', synchronousCommit: true, pendingFirst: true },
  // The task_stats triggers' WHEN (a row from before today?) is evaluated for every row; today's rows call nothing.
  { name: 'no task_stats triggers (every index)', schema: 'noTriggers', synchronousCommit: true, pendingFirst: true },
  {
    name: 'whole request in the row (before templates)',
    schema: 'full',
    synchronousCommit: true,
    pendingFirst: true,
    wholeRequest: true,
  },
];

/** The request as one column held it before templates: the template's output schema and system messages put back. */
function wholeRequestOf(request: string, template: NewRequestTemplate): string {
  const rest = z
    .object({ messages: z.array(z.unknown()) })
    .loose()
    .parse(JSON.parse(request));
  const systemMessages = z.array(z.unknown()).parse(JSON.parse(template.system_messages));
  return JSON.stringify({
    ...rest,
    messages: [...systemMessages, ...rest.messages],
    output: JSON.parse(template.output),
  });
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('log-write-cost needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
  const schemas = {
    full: `logcost_${process.pid}`,
    keyOnly: `logcost_${process.pid}_key`,
    noTriggers: `logcost_${process.pid}_untriggered`,
  };
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(
    `create schema ${schemas.full}; create schema ${schemas.keyOnly}; create schema ${schemas.noTriggers}`,
  );
  const migrated = await openDatabase({ kind: 'postgres', url, searchPath: schemas.full, poolSize: 1 });
  const { pending, finished, template } = await captureRows(migrated.db);
  await migrated.close();
  const wholeRequest = wholeRequestOf(String(pending.request), template);
  await admin.query(
    `create table ${schemas.keyOnly}.inference_log (like ${schemas.full}.inference_log including defaults including constraints);` +
      `alter table ${schemas.keyOnly}.inference_log add primary key (id);` +
      // "including all" copies indexes, defaults and constraints, never triggers.
      `create table ${schemas.noTriggers}.inference_log (like ${schemas.full}.inference_log including all)`,
  );
  const statementFor = createLogStatements();
  const runners = await Promise.all(
    VARIANTS.map(async (variant) => {
      const connect = async (synchronousCommit: boolean) => {
        const client = new pg.Client({
          connectionString: url,
          options: `-c search_path=${schemas[variant.schema]}${synchronousCommit ? '' : ' -c synchronous_commit=off'}`,
        });
        await client.connect();
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        return { client, pid: rows[0]?.pid ?? 0 };
      };
      const connections = [
        await connect(variant.synchronousCommit),
        ...(variant.pendingAsync ? [await connect(false)] : []),
      ];
      const request = variant.wholeRequest ? wholeRequest : pending.request;
      const requestTemplateId = variant.wholeRequest ? null : template.id;
      const call = async () => {
        const id = uuidv7();
        const write = async (row: NewInferenceLog) => {
          const { name, text, values } = statementFor([
            { ...row, id, request, request_template_id: requestTemplateId, created_at: new Date() },
          ]);
          const connection = row.status === 'pending' ? (connections[1] ?? connections[0]) : connections[0];
          await connection?.client.query({ name, text, values });
        };
        if (variant.pendingFirst) await write(pending);
        if (variant.providerMs) await setTimeout(variant.providerMs);
        await write(finished);
      };
      const cpuMs = () => connections.reduce((total, { pid }) => total + (readProcessCpuMs(pid) ?? Number.NaN), 0);
      return { variant, connections, cpuMs, call, backendCpuMs: 0, wallMs: 0, calls: 0 };
    }),
  );
  for (const runner of runners) for (let index = 0; index < 50; index++) await runner.call();
  for (let round = 0; round < ROUNDS; round++) {
    for (const runner of [...runners.slice(round % runners.length), ...runners.slice(0, round % runners.length)]) {
      const cpuBefore = runner.cpuMs();
      const started = performance.now();
      for (let index = 0; index < CALLS_PER_ROUND; index++) await runner.call();
      runner.wallMs += performance.now() - started;
      runner.backendCpuMs += runner.cpuMs() - cpuBefore;
      runner.calls += CALLS_PER_ROUND;
    }
  }
  const bytes = (row: NewInferenceLog) =>
    [row.request, row.response, row.output].reduce((total, json) => total + (json?.length ?? 0), 0);
  const request = String(pending.request);
  console.log(
    `inference_log writes, one call at a time, ${ROUNDS} x ${CALLS_PER_ROUND} calls per variant; jsonb of the finished row: ${bytes(finished)} characters`,
  );
  console.log(
    `(its request: ${request.length} characters beside its template; ${wholeRequest.length} whole, as before templates)`,
  );
  console.log(`${'variant'.padEnd(50)} backend CPU ms/call  wall ms/call`);
  for (const runner of runners) {
    console.log(
      `${runner.variant.name.padEnd(50)} ${(runner.backendCpuMs / runner.calls).toFixed(3).padStart(19)} ${(runner.wallMs / runner.calls).toFixed(3).padStart(13)}`,
    );
  }
  // The finished row as ask() stores it, and with its request whole, once more each, to read their size as stored.
  await admin.query(`set search_path = ${schemas.full}`);
  for (const [label, row] of [
    ['as ask() stores it', finished],
    ['with the request whole (before templates)', { ...finished, request: wholeRequest, request_template_id: null }],
  ] as const) {
    const sizedId = uuidv7();
    const sized = statementFor([{ ...row, id: sizedId, created_at: new Date() }]);
    await admin.query({ text: sized.text, values: sized.values });
    const { rows: sizes } = await admin.query<{ row_bytes: number; request_bytes: number }>(
      'select pg_column_size(log.*) as row_bytes, pg_column_size(log.request) as request_bytes from inference_log as log where id = $1',
      [sizedId],
    );
    const size = sizes[0];
    if (size)
      console.log(
        `stored, ${label}: ${size.row_bytes} bytes a finished row, ${size.request_bytes} of them its request`,
      );
  }
  await Promise.all(runners.flatMap((runner) => runner.connections.map(({ client }) => client.end())));
  await admin.query(
    `drop schema ${schemas.full} cascade; drop schema ${schemas.keyOnly} cascade; drop schema ${schemas.noTriggers} cascade;` +
      // The chain queue's tables, which opening the database made beside the schema.
      `drop schema if exists ${jobsSchemaFor(schemas.full)} cascade`,
  );
  await admin.end();
}

await main();
