import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openRawSocket, readUntilClosed, sendRaw } from '../../test/raw-http.js';
import { dropSchemaStatement, migratedPgliteFolder } from '../../test/test-database.js';
import { type DatabaseHandle, openDatabase } from '../db/client.js';
import { targetFromSettings } from '../db/dialect.js';
import type { AppRouter } from '../routers/app.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// A canary: every place it could leak to is searched for it afterwards.
const TOKEN = 'CANARY-door-token-7d41e9b2c05a';
const ON_POSTGRES = process.env.CHAINLOG_TEST_DB === 'postgres';

/** Where the spawned server keeps its data: a PGlite folder, or a PostgreSQL schema of its own. */
interface ServerDatabase {
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  remove(): Promise<void>;
}

async function withAdminClient(url: string, query: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

async function createServerDatabase(): Promise<ServerDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (ON_POSTGRES && url) {
    const schema = `canary_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await withAdminClient(url, `create schema ${schema}`);
    const withSearchPath = new URL(url);
    withSearchPath.searchParams.set('options', `-c search_path=${schema}`);
    return {
      env: { DATABASE_URL: withSearchPath.href },
      open: () => openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 2 }),
      remove: () => withAdminClient(url, dropSchemaStatement(schema)),
    };
  }
  const dataDir = migratedPgliteFolder('chainlog-canary-');
  return {
    env: { CHAINLOG_DATA_DIR: dataDir },
    // Where main.ts keeps it: the same rule, not a copy of it.
    open: () => openDatabase(targetFromSettings({ dataDir })),
    remove: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Every row of every table of the database, as JSON text. */
async function dumpRows(database: DatabaseHandle): Promise<string[]> {
  const { rows: tables } = await sql<{ tableName: string }>`
    select table_name as "tableName" from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'
  `.execute(database.db);
  const rows: string[] = [];
  for (const { tableName } of tables) {
    const result = await sql<{
      row: string;
    }>`select row_to_json(t)::text as row from ${sql.table(tableName)} t`.execute(database.db);
    rows.push(...result.rows.map(({ row }) => row));
  }
  return rows;
}

describe('the token canary: a server with CHAINLOG_TOKEN, logging at trace', () => {
  let database: ServerDatabase;
  let child: ChildProcess;
  let output = '';
  let url = '';
  const bodies: string[] = [];

  beforeAll(async () => {
    database = await createServerDatabase();
    child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: '0',
        CHAINLOG_TOKEN: TOKEN,
        CHAINLOG_LOG_LEVEL: 'trace',
        ...database.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listening = new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
    });
    url = await Promise.race([
      listening,
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new Error(`not listening after 60 s:\n${output}`)), 60_000).unref(),
      ),
    ]);
  }, 90_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await database.remove();
  });

  it('never shows the token in the log, in any answer or in the database, through every path that sees it', async () => {
    const record = async (response: Promise<{ body: string }>) => bodies.push((await response).body);
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      bodies.push(await response.clone().text());
      return response;
    };
    // Records every frame the tRPC WebSocket client receives.
    class RecordingWebSocket extends WebSocket {
      constructor(address: string) {
        super(address);
        this.on('message', (data: Buffer) => bodies.push(data.toString('utf8')));
      }
    }
    const wsUrl = url.replace(/^http/, 'ws');

    await record(sendRaw(url, { path: '/healthz' }));
    await record(sendRaw(url, { path: '/trpc/health' }));
    await record(sendRaw(url, { path: '/trpc/health', headers: { authorization: `Bearer ${TOKEN}-wrong` } }));
    await record(
      sendRaw(url, { path: '/trpc/health', headers: { authorization: `Bearer ${TOKEN}`, host: 'attacker.example' } }),
    );
    await record(
      sendRaw(url, {
        path: '/trpc/health',
        headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' },
      }),
    );
    await record(
      sendRaw(url, { method: 'OPTIONS', path: '/trpc/health', headers: { origin: 'https://evil.example' } }),
    );
    const refusedSocket = await openRawSocket(`${wsUrl}/?connectionParams=1`);
    if (!('opened' in refusedSocket)) throw new Error('the WebSocket upgrade was refused');
    refusedSocket.opened.send(JSON.stringify({ method: 'connectionParams', data: { token: `${TOKEN}-wrong` } }));
    bodies.push(...(await readUntilClosed(refusedSocket)).messages);

    const wsClient = createWSClient({
      url: wsUrl,
      WebSocket: RecordingWebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { token: TOKEN },
    });
    const client = createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (operation) => operation.type === 'subscription',
          true: wsLink({ client: wsClient }),
          false: httpBatchLink({
            url: `${url}/trpc`,
            headers: { authorization: `Bearer ${TOKEN}` },
            fetch: recordingFetch,
          }),
        }),
      ],
    });
    try {
      const { chainId } = await client.inbox.submit.mutate({
        from: 'ada@example.com',
        subject: 'Order 1042',
        body: 'Where is my order?',
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the chain did not finish within 20 s')), 20_000);
        const subscription = client.chains.events.subscribe(
          { chainId },
          {
            onError: reject,
            onComplete: () => {
              clearTimeout(timer);
              subscription.unsubscribe();
              resolve();
            },
          },
        );
      });
      const { items } = await client.logs.list.query({ chainId });
      await client.logs.get.query({ id: items[0]?.id ?? '' });
      await client.chains.get.query({ chainId });
    } finally {
      await wsClient.close();
    }

    child.kill('SIGTERM');
    const [exitCode] = await once(child, 'exit');
    expect(exitCode).toBe(0);
    const reopened = await database.open();
    let rows: string[];
    try {
      rows = await dumpRows(reopened);
    } finally {
      await reopened.close();
    }

    // The paths were taken: refusals logged at debug, a chain stored with its log rows.
    expect(output).toMatch(/refused GET \/trpc\/health/);
    expect(output).toMatch(/that token was refused/);
    expect(rows.some((row) => row.includes('Where is my order?'))).toBe(true);
    expect(bodies.length).toBeGreaterThan(10);
    expect(bodies.some((body) => body.includes('chain_finished'))).toBe(true);
    expect(output).not.toContain(TOKEN);
    expect(bodies.filter((body) => body.includes(TOKEN))).toEqual([]);
    expect(rows.filter((row) => row.includes(TOKEN))).toEqual([]);
  });
});
