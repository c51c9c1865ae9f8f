import { createAppDependencies } from '../src/app-dependencies.js';
import { createLogWriterFor } from '../src/db/inference-log-writer.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { parseEnv } from '../src/env.js';
import { DEFAULT_LIMITS, type Limits } from '../src/http/limits.js';
import type { KeepAliveOptions } from '../src/http/websocket-keep-alive.js';
import { accessOptionsFromEnv } from '../src/http/access-control.js';
import { createLlm } from '../src/llm/ask.js';
import type { RetryDelay } from '../src/llm/retry-policy.js';
import { buildLlmSettings } from '../src/llm/settings.js';
import { createChainlogServer } from '../src/server.js';
import { TASKS } from '../src/tasks/index.js';
import type { AppDependencies } from '../src/trpc/context.js';
import type { FakeProvider } from './fake-provider.js';
import { openTestDatabase } from './test-database.js';

export interface RunningServerOptions {
  /** Points the openai and anthropic providers at this fake; without it every task runs on the offline provider. */
  fakeProvider?: FakeProvider | undefined;
  /** Serves this folder as the built client. */
  clientDir?: string | undefined;
  /** A database the caller owns and closes itself (to read rows after the server closed); otherwise a fresh test database, closed with the server. */
  database?: DatabaseHandle | undefined;
  /** Chains running at once (4 by default). */
  maxRunningChains?: number | undefined;
  /** Environment variables over the defaults above (e.g. `CHAINLOG_LLM_MAX_RETRIES`), as the process would see them. */
  env?: Record<string, string> | undefined;
  /** How ask() waits before retrying a transient fault (the real timer by default). */
  retryDelay?: RetryDelay | undefined;
  /** Bounds to use instead of DEFAULT_LIMITS (small ones keep a test of a bound fast). */
  limits?: Partial<Limits> | undefined;
  /** The clock of the submissions-per-minute allowance, in ms. */
  now?: (() => number) | undefined;
  /** WebSocket keep-alive timings instead of tRPC's 30 s and 5 s. */
  keepAlive?: KeepAliveOptions | undefined;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT`, the same port. */
  wsUrl: string;
  dependencies: AppDependencies;
  /** Closes the server (letting in-flight calls finish within `timeoutMs`, 5 s by default), then the database unless the caller gave it. Safe to call twice. */
  close(timeoutMs?: number): Promise<void>;
}

const FAKE_OPENAI_KEY = 'sk-test-openai';
const FAKE_ANTHROPIC_KEY = 'sk-ant-test';

/** The real server on 127.0.0.1, port 0, over a test database of its own (see openTestDatabase). */
export async function startRunningServer(options: RunningServerOptions = {}): Promise<RunningServer> {
  const { fakeProvider } = options;
  const env = parseEnv(
    fakeProvider
      ? {
          OPENAI_API_KEY: FAKE_OPENAI_KEY,
          OPENAI_BASE_URL: fakeProvider.openaiBaseUrl,
          ANTHROPIC_API_KEY: FAKE_ANTHROPIC_KEY,
          ANTHROPIC_BASE_URL: fakeProvider.anthropicBaseUrl,
          // A failing fake answer should fail the test at once, not after the SDK's backoff.
          CHAINLOG_LLM_MAX_RETRIES: '0',
          CHAINLOG_LLM_TIMEOUT_MS: '10000',
          ...options.env,
        }
      : { ...options.env },
  );
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const ownsDatabase = options.database === undefined;
  const database: DatabaseHandle = options.database ?? (await openTestDatabase());
  const closeDatabase = () => (ownsDatabase ? database.close() : Promise.resolve());
  const dependencies: AppDependencies = await createAppDependencies({
    database,
    llm: createLlm({
      db: database.db,
      settings: buildLlmSettings(env),
      tasks: TASKS,
      logWriter: createLogWriterFor(database),
      ...(options.retryDelay ? { retryDelay: options.retryDelay } : {}),
    }),
    maxRunningChains: options.maxRunningChains ?? 4,
    maxWaitingChains: limits.maxWaitingChains,
    maxSubmissionsPerMinute: limits.maxSubmissionsPerMinute,
    now: options.now,
  });
  const server = createChainlogServer(dependencies, {
    clientDir: options.clientDir,
    limits,
    access: accessOptionsFromEnv(env),
    keepAlive: options.keepAlive,
  });
  let url: string;
  try {
    url = await server.listen(0, '127.0.0.1');
  } catch (error) {
    await closeDatabase();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    dependencies,
    close(timeoutMs = 5_000) {
      closing ??= (async () => {
        try {
          await server.close(timeoutMs);
        } finally {
          await closeDatabase();
        }
      })();
      return closing;
    },
  };
}
