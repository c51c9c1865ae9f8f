import { existsSync } from 'node:fs';
import { z } from 'zod';
import { accessTokenSchema, allowedHostsSchema, allowedOriginsSchema } from './http/access-env.js';
import { modelSpecSchema } from './llm/model-spec.js';
import { LOG_LEVEL_NAMES } from './log.js';

// Blank values never get here: parseEnv treats them as unset.
const optionalText = z.string().trim().optional();

const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8800),
  CHAINLOG_DATA_DIR: z.string().default('./.chainlog'),
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  CHAINLOG_CONFIG: optionalText,
  CHAINLOG_LOG_COMMIT: z.enum(['async', 'sync']).default('async'),
  CHAINLOG_MODEL: optionalText.pipe(modelSpecSchema.optional()),
  CHAINLOG_LOG_LEVEL: z.enum(LOG_LEVEL_NAMES).default('info'),
  CHAINLOG_LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  CHAINLOG_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  CHAINLOG_VALIDATION_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  CHAINLOG_MAX_RUNNING_CHAINS: z.coerce.number().int().min(1).max(256).default(4),
  CHAINLOG_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  CHAINLOG_CLIENT_DIR: optionalText,
  CHAINLOG_TOKEN: optionalText.pipe(accessTokenSchema.optional()),
  CHAINLOG_ALLOWED_HOSTS: allowedHostsSchema.default([]),
  CHAINLOG_ALLOWED_ORIGINS: allowedOriginsSchema.default([]),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: optionalText.pipe(z.url().optional()),
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
  const setValues = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const result = envSchema.safeParse(setValues);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new EnvError(`invalid environment:\n${problems.join('\n')}`);
}

/** Loads ./.env into process.env when it exists; variables already set win. */
export function loadDotEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
