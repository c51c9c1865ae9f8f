import { z } from 'zod';
import { type InferenceParams, type ResolvedParams, inferenceParamsSchema } from './inference-params.js';
import { modelSpecSchema } from './model-spec.js';
import { type PriceTable, priceSchema } from './pricing.js';

const providerSettingsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('openai'), apiKey: z.string().min(1).optional(), baseURL: z.url().optional() }).strict(),
  z
    .object({
      type: z.literal('anthropic'),
      apiKey: z.string().min(1).optional(),
      baseURL: z.url().optional(),
      structuredOutput: z.enum(['native', 'tool']).default('native'),
    })
    .strict(),
  z
    .object({
      type: z.literal('openai-compatible'),
      baseURL: z.url(),
      apiKey: z.string().min(1).optional(),
      structuredOutput: z.enum(['json_schema', 'json_object']).default('json_schema'),
    })
    .strict(),
]);

export type ProviderSettings = z.infer<typeof providerSettingsSchema>;

/** The deployment's config file (chainlog.config.json): what may change without a code change. */
export const configFileSchema = z
  .object({
    /** The model of every task without its own override; CHAINLOG_MODEL wins over it. */
    model: modelSpecSchema.optional(),
    /** Named providers: "ollama": { type: "openai-compatible", baseURL: "http://127.0.0.1:11434/v1" }. */
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), providerSettingsSchema).default({}),
    /** Per task name: { model, params }. */
    tasks: z
      .record(
        z.string(),
        z.object({ model: modelSpecSchema.optional(), params: inferenceParamsSchema.optional() }).strict(),
      )
      .default({}),
    /** Prices that win over the bundled list prices, keyed "<provider>:<model>" or "<provider>:*". */
    prices: z.record(z.string(), priceSchema).default({}),
    /** Deployment-wide inference defaults, under every task's own. */
    params: inferenceParamsSchema.optional(),
  })
  .strict()
  .superRefine((config, context) => {
    for (const name of ['openai', 'anthropic'] as const) {
      const provider = config.providers[name];
      if (provider && provider.type !== name) {
        context.addIssue({
          code: 'custom',
          path: ['providers', name, 'type'],
          message: `"${name}" is the official provider and must have type "${name}"; give an OpenAI-compatible endpoint another name`,
        });
      }
    }
  });

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Everything the LLM layer needs, resolved from env and config file once at start-up (tests build it directly). */
export interface LlmSettings {
  /** Providers that can be called: offline always, openai/anthropic when they have a key. */
  providers: Record<string, ProviderSettings | { type: 'offline' }>;
  /** Providers we know but cannot call (no key): their tasks fall back to offline. */
  unconfiguredProviders: string[];
  defaultModel: string | undefined;
  taskOverrides: Record<string, { model?: string | undefined; params?: InferenceParams | undefined }>;
  /** The deployment's price overrides (config `prices`); the rest comes from the bundled table (pricing.ts). */
  prices: PriceTable;
  /** The bottom layer of inference params, under the task's, the deployment's per-task, and the call's. */
  baseParams: ResolvedParams;
  /** Values never to store or print (API keys). */
  secrets: string[];
  /**
   * False in production unless CHAINLOG_ALLOW_OFFLINE=1: then no call may be answered by the offline provider,
   * and start-up refuses tasks that would be (offline-policy.ts).
   */
  offlineAllowed: boolean;
}

/** The variable that gives each official provider its key, named in messages about a missing one. */
export const API_KEY_VARIABLES: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

export interface LlmEnv {
  CHAINLOG_MODEL?: string | undefined;
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
  CHAINLOG_LLM_TIMEOUT_MS: number;
  CHAINLOG_LLM_MAX_RETRIES: number;
  CHAINLOG_VALIDATION_RETRIES: number;
  /** Only `production` matters here: development and test (and a missing value) allow offline answers. */
  NODE_ENV?: 'development' | 'production' | 'test' | undefined;
  CHAINLOG_ALLOW_OFFLINE?: boolean | undefined;
}

const DEFAULT_MAX_TOKENS = 2_048;

/** Env wins over the config file for the two official providers' keys and URLs and for the default model. */
export function buildLlmSettings(env: LlmEnv, config: ConfigFile = configFileSchema.parse({})): LlmSettings {
  const providers: LlmSettings['providers'] = { offline: { type: 'offline' } };
  const unconfiguredProviders: string[] = [];
  const official = {
    openai: { type: 'openai', apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL },
    anthropic: { type: 'anthropic', apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL },
  } as const;
  for (const [name, fromEnv] of Object.entries(official)) {
    const fromFile = config.providers[name];
    // Env has no say in anthropic's structuredOutput: its default goes under the file, which may choose 'tool'.
    const defaults = fromEnv.type === 'anthropic' ? { structuredOutput: 'native' } : {};
    const merged = { ...defaults, ...fromFile, ...definedOnly(fromEnv) } as ProviderSettings;
    if ('apiKey' in merged && merged.apiKey) providers[name] = merged;
    else unconfiguredProviders.push(name);
  }
  for (const [name, provider] of Object.entries(config.providers)) {
    if (!(name in official)) providers[name] = provider;
  }
  const secrets = Object.values(providers).flatMap((provider) =>
    'apiKey' in provider && provider.apiKey ? [provider.apiKey] : [],
  );
  return {
    providers,
    unconfiguredProviders,
    defaultModel: env.CHAINLOG_MODEL ?? config.model,
    taskOverrides: config.tasks,
    prices: config.prices,
    baseParams: {
      maxTokens: DEFAULT_MAX_TOKENS,
      timeoutMs: env.CHAINLOG_LLM_TIMEOUT_MS,
      maxRetries: env.CHAINLOG_LLM_MAX_RETRIES,
      validationRetries: env.CHAINLOG_VALIDATION_RETRIES,
      ...config.params,
    },
    secrets,
    offlineAllowed: env.NODE_ENV !== 'production' || env.CHAINLOG_ALLOW_OFFLINE === true,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
