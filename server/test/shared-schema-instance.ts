import type { FakeProvider } from './fake-provider.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { searchPathUrl, withAdminClient } from './test-database.js';

/**
 * A real server process (`server/src/main.ts`, as `npm start` runs it) on one schema of the PostgreSQL at
 * `databaseUrl`, its providers pointed at `fake`, with `env` over the defaults: what the multi-instance tests and
 * benches start several of.
 */
export function startSchemaInstance(options: {
  databaseUrl: string;
  schema: string;
  fake: FakeProvider;
  instanceId: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  return startServerProcess({
    DATABASE_URL: searchPathUrl(options.databaseUrl, options.schema),
    CHAINLOG_INSTANCE_ID: options.instanceId,
    OPENAI_API_KEY: 'sk-test-openai',
    OPENAI_BASE_URL: options.fake.openaiBaseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: options.fake.anthropicBaseUrl,
    CHAINLOG_LLM_MAX_RETRIES: '0',
    CHAINLOG_LOG_LEVEL: 'info',
    ...options.env,
  });
}

/** Rows read straight from one schema, as an analyst would, on a connection of their own. */
export function querySchema<Row>(
  databaseUrl: string,
  schema: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  return withAdminClient(databaseUrl, async (admin) => {
    await admin.query(`set search_path = ${schema}`);
    return (await admin.query(text, values)).rows as Row[];
  });
}
