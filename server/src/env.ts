import { existsSync } from 'node:fs';
import { BATCH_LINK_LIMITS } from '@chainlog/shared';
import { z } from 'zod';
import { DEFAULT_LIMITS } from './http/limits.js';
import { accessTokenSchema, allowedHostsSchema, allowedOriginsSchema } from './http/access-env.js';
import { modelSpecSchema } from './llm/model-spec.js';
import { LOG_LEVEL_NAMES } from './log.js';

// Blank values never get here: parseEnv treats them as unset.
const optionalText = z.string().trim().optional();

/**
 * Decimal digits only: `z.coerce.number()` read `0x10` as 16, `1e3` as 1000 and `1.0` as 1, which no one means.
 * `belowMin`: what a smaller number is told instead of zod's "Too small".
 */
function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER, belowMin?: string) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number written in decimal digits')
    .transform(Number)
    .pipe(z.number().min(min, belowMin).max(max));
}

// Node's timers take at most 2^31 - 1 ms (24.8 days); a longer delay fires at once, with a warning.
const MAX_TIMER_MS = 2_147_483_647;

/** A duration in milliseconds that a timer can wait. */
function milliseconds(min: number) {
  return wholeNumber(min, MAX_TIMER_MS);
}

const envSchema = z
  .object({
    /** production refuses to start when a task would answer offline (llm/offline-policy.ts). */
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** 1: production may start with tasks on the offline provider (their rows still say provider 'offline'). */
    CHAINLOG_ALLOW_OFFLINE: z
      .enum(['0', '1'])
      .default('0')
      .transform((value) => value === '1'),
    HOST: z.string().default('127.0.0.1'),
    PORT: wholeNumber(0, 65_535).default(8800),
    CHAINLOG_DATA_DIR: z.string().default('./.chainlog'),
    /** Where the embedded PGlite runs: a worker thread of its own, or the main thread; unset: db/dialect.ts decides. */
    CHAINLOG_PGLITE_THREAD: z.enum(['worker', 'main']).optional(),
    DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    CHAINLOG_CONFIG: optionalText,
    CHAINLOG_LOG_COMMIT: z.enum(['async', 'sync']).default('sync'),
    CHAINLOG_DB_OUTAGE_WAIT_MS: milliseconds(0).default(60_000),
    // Lower case, as the database prints it: the instance compares its id with the rows' as text.
    CHAINLOG_INSTANCE_ID: optionalText.pipe(
      z
        .uuid()
        .transform((id) => id.toLowerCase())
        .optional(),
    ),
    CHAINLOG_INSTANCE_HEARTBEAT_MS: milliseconds(100).default(2_000),
    CHAINLOG_INSTANCE_LEASE_MS: milliseconds(500).default(10_000),
    CHAINLOG_MODEL: optionalText.pipe(modelSpecSchema.optional()),
    CHAINLOG_LOG_LEVEL: z.enum(LOG_LEVEL_NAMES).default('info'),
    CHAINLOG_LLM_TIMEOUT_MS: milliseconds(1).default(60_000),
    CHAINLOG_LLM_MAX_RETRIES: wholeNumber(0, 10).default(2),
    CHAINLOG_VALIDATION_RETRIES: wholeNumber(0, 10).default(2),
    CHAINLOG_MAX_RUNNING_CHAINS: wholeNumber(1, 256).default(4),
    CHAINLOG_UNKNOWN_CHAIN_GRACE_MS: wholeNumber(0).default(15 * 60_000),
    CHAINLOG_SHUTDOWN_TIMEOUT_MS: milliseconds(1).default(10_000),
    CHAINLOG_CLIENT_DIR: optionalText,
    CHAINLOG_MAX_BODY_BYTES: wholeNumber(1).default(DEFAULT_LIMITS.maxBodyBytes),
    // The web client and typed clients spreading BATCH_LINK_LIMITS send up to its maxItems calls a batch: a lower
    // limit would refuse the app's own pages.
    CHAINLOG_MAX_BATCH_CALLS: wholeNumber(
      BATCH_LINK_LIMITS.maxItems,
      Number.MAX_SAFE_INTEGER,
      `must be at least ${BATCH_LINK_LIMITS.maxItems}: the web client sends up to ${BATCH_LINK_LIMITS.maxItems} calls a batch`,
    ).default(DEFAULT_LIMITS.maxBatchCalls),
    CHAINLOG_MAX_WS_MESSAGE_BYTES: wholeNumber(1).default(DEFAULT_LIMITS.maxWsMessageBytes),
    CHAINLOG_MAX_WS_BUFFERED_BYTES: wholeNumber(1).default(DEFAULT_LIMITS.maxWsBufferedBytes),
    CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS: wholeNumber(1).default(DEFAULT_LIMITS.maxConnectionsPerAddress),
    CHAINLOG_MAX_SUBSCRIPTIONS_PER_CONNECTION: wholeNumber(1).default(DEFAULT_LIMITS.maxSubscriptionsPerConnection),
    CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE: wholeNumber(1).default(DEFAULT_LIMITS.maxSubmissionsPerMinute),
    CHAINLOG_MAX_WAITING_CHAINS: wholeNumber(0).default(DEFAULT_LIMITS.maxWaitingChains),
    CHAINLOG_MAX_EXPORTS: wholeNumber(1).default(DEFAULT_LIMITS.maxExports),
    CHAINLOG_CONNECTION_PARAMS_TIMEOUT_MS: milliseconds(100).default(DEFAULT_LIMITS.connectionParamsTimeoutMs),
    CHAINLOG_TRUST_PROXY: z.enum(['0', '1']).default('0'),
    CHAINLOG_TOKEN: optionalText.pipe(accessTokenSchema.optional()),
    CHAINLOG_ALLOWED_HOSTS: allowedHostsSchema.default([]),
    CHAINLOG_ALLOWED_ORIGINS: allowedOriginsSchema.default([]),
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
    ANTHROPIC_API_KEY: optionalText,
    ANTHROPIC_BASE_URL: optionalText.pipe(z.url().optional()),
  })

  .refine((env) => env.CHAINLOG_INSTANCE_LEASE_MS > env.CHAINLOG_INSTANCE_HEARTBEAT_MS, {
    message:
      'must be longer than CHAINLOG_INSTANCE_HEARTBEAT_MS, or a live instance would look dead between heartbeats',
    path: ['CHAINLOG_INSTANCE_LEASE_MS'],
  });

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Parses the process environment once, at start-up.
 * @throws EnvError naming every bad variable (never its value: some are secrets).
 */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // `PORT=` in a .env file means "not set", not "port 0" or an empty data directory.
  const setValues = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = envSchema.safeParse(setValues);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new EnvError(`invalid environment:\n${problems.join('\n')}`);
}

/** Loads ./.env into process.env when it exists; variables already set win. */
export function loadDotEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
