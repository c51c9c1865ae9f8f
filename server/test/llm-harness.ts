import { type ExecuteLogStatement, createInferenceLogWriter } from '../src/db/inference-log-writer.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { z } from 'zod';
import type { DatabaseHandle, Db } from '../src/db/client.js';
import { listChainLogs } from '../src/db/queries/inference-log.js';
import type { InferenceLog } from '../src/db/tables/inference-log.js';
import { type Llm, createLlm } from '../src/llm/ask.js';
import type { LlmError } from '../src/llm/errors/index.js';
import { type LlmEnv, type LlmSettings, buildLlmSettings, configFileSchema } from '../src/llm/settings.js';
import type { RetryDelay } from '../src/llm/retry-policy.js';
import type { AnyTask } from '../src/llm/task.js';
import { type FakeProvider, type RecordedRequest, startFakeProvider } from './fake-provider.js';
import { openTestDatabase } from './test-database.js';

/** What a test may change of a deployment whose official providers are the fake. */
export interface TestSettingsOptions {
  /** Over the defaults of `fakeProviderEnv`; `{ OPENAI_API_KEY: undefined }` leaves openai unconfigured. */
  env?: Partial<LlmEnv>;
  /** The config file, as it would be written (validated with the real schema). */
  config?: z.input<typeof configFileSchema>;
}

/** What a test may change of how `ask()` writes its rows: wrap the database's log statements (to fail some). */
export interface TestLlmOptions<Tasks extends readonly AnyTask[]> extends TestSettingsOptions {
  tasks: Tasks;
  logStatements?: (execute: ExecuteLogStatement) => ExecuteLogStatement;
  /** How ask() waits before retrying a transient fault; by default it does not wait (tests never sleep). */
  retryDelay?: RetryDelay;
}

/** One fake provider and one migrated database for a test file, and `ask()` wired to both. */
export interface LlmHarness {
  fake: FakeProvider;
  db: Db;
  settings(options?: TestSettingsOptions): LlmSettings;
  createLlm<const Tasks extends readonly AnyTask[]>(options: TestLlmOptions<Tasks>): Llm<Tasks>;
  close(): Promise<void>;
}

/** Env with keys for both official providers, both pointed at the fake; fast timeouts and a few retries. */
export function fakeProviderEnv(fake: FakeProvider, overrides: Partial<LlmEnv> = {}): LlmEnv {
  return {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    CHAINLOG_LLM_TIMEOUT_MS: 5_000,
    CHAINLOG_LLM_MAX_RETRIES: 2,
    CHAINLOG_VALIDATION_RETRIES: 2,
    ...overrides,
  };
}

/** Retries at once: the backoff's length is checked where it is computed (retry-policy.test.ts), not waited for. */
export const NO_RETRY_DELAY: RetryDelay = async () => {};

export async function startLlmHarness(): Promise<LlmHarness> {
  const fake = await startFakeProvider();
  let database: DatabaseHandle;
  try {
    database = await openTestDatabase();
  } catch (error) {
    await fake.close();
    throw error;
  }
  const settings = (options: TestSettingsOptions = {}) =>
    buildLlmSettings(fakeProviderEnv(fake, options.env), configFileSchema.parse(options.config ?? {}));
  return {
    fake,
    db: database.db,
    settings,
    createLlm: (options) => {
      const execute = options.logStatements?.(database.executeLogStatement) ?? database.executeLogStatement;
      const logWriter = createInferenceLogWriter(execute, { concurrency: database.logConcurrency });
      const retryDelay = options.retryDelay ?? NO_RETRY_DELAY;
      return createLlm({ db: database.db, settings: settings(options), tasks: options.tasks, logWriter, retryDelay });
    },
    async close() {
      await Promise.all([fake.close(), database.close()]);
    },
  };
}

/**
 * A harness for the calling test file: started before its tests, the fake's queue and records reset after each
 * test, closed after all of them.
 */
export function useLlmHarness(): LlmHarness {
  let current: LlmHarness | undefined;
  const started = (): LlmHarness => {
    if (!current) throw new Error('the LLM harness starts in beforeAll: use it inside hooks and tests');
    return current;
  };
  beforeAll(async () => {
    current = await startLlmHarness();
  });
  afterEach(() => {
    current?.fake.reset();
  });
  afterAll(async () => {
    await current?.close();
  });
  return {
    get fake() {
      return started().fake;
    },
    get db() {
      return started().db;
    },
    settings: (options) => started().settings(options),
    createLlm: <const Tasks extends readonly AnyTask[]>(options: TestLlmOptions<Tasks>) => started().createLlm(options),
    close: () => started().close(),
  };
}

/** Every inference_log row of a chain, oldest first. */
export function chainRows(db: Db, chainId: string): Promise<InferenceLog[]> {
  return listChainLogs(db, chainId);
}

/** The one row of a list, failing the test when there are none or several. */
export function onlyRow(rows: readonly InferenceLog[]): InferenceLog {
  const [row, ...others] = rows;
  if (row === undefined || others.length > 0)
    throw new Error(`expected exactly one inference_log row, found ${rows.length}`);
  return row;
}

const chatMessagesSchema = z.array(z.object({ role: z.string(), content: z.string() }).loose());
const recordSchema = z.record(z.string(), z.unknown());

/** The JSON body the fake received, as an object (fails the test when it is not one). */
export function bodyOf(request: RecordedRequest | undefined): Record<string, unknown> {
  return recordSchema.parse(request?.body);
}

/** The chat messages of a request body (OpenAI `messages`, Anthropic `messages`) or of a logged `request`. */
export function messagesOf(value: unknown): z.infer<typeof chatMessagesSchema> {
  return chatMessagesSchema.parse(recordSchema.parse(value).messages);
}

/** Resolves with the promise, or rejects naming `what` when it takes longer than `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A typed LLM error class, as `rejectionOf` needs it: its static guard and its prototype. */
interface LlmErrorClass<T extends LlmError> {
  readonly code: string;
  readonly name: string;
  prototype: T;
  isInstance: typeof LlmError.isInstance;
}

/** The error a call rejected with, narrowed to `errorClass`; fails when the call succeeded or threw anything else. */
export async function rejectionOf<T extends LlmError>(
  promise: Promise<unknown>,
  errorClass: LlmErrorClass<T>,
): Promise<T> {
  const outcome = await promise.then(
    (value) => ({ fulfilled: true as const, value }),
    (error: unknown) => ({ fulfilled: false as const, error }),
  );
  if (outcome.fulfilled)
    throw new Error(`expected ${errorClass.name}, but the call returned ${JSON.stringify(outcome.value)}`);
  if (!errorClass.isInstance(outcome.error)) throw new Error(`expected ${errorClass.name}`, { cause: outcome.error });
  return outcome.error;
}
