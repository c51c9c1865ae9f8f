import { describeNonPostgresText, postgresText } from '@chainlog/shared';
import { z } from 'zod';
import { ModelConfigError } from './errors/index.js';

/**
 * "<provider>:<model>", e.g. "openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5", "ollama:llama3.1". The model name
 * goes into every log row, so it must be text PostgreSQL can store.
 */
export const modelSpecSchema = postgresText(
  z.string().regex(/^[a-z0-9][a-z0-9_-]*:.+$/i, 'expected "<provider>:<model>", e.g. "openai:gpt-4.1-mini"'),
);

export interface ModelSpec {
  provider: string;
  model: string;
}

/** @throws ModelConfigError when the spec is not "<provider>:<model>", or holds text PostgreSQL cannot store. */
export function parseModelSpec(spec: string): ModelSpec {
  const problem = describeNonPostgresText(spec);
  // JSON.stringify keeps the message readable and the character escaped.
  if (problem)
    throw new ModelConfigError(
      `model ${JSON.stringify(spec)} must not contain ${problem}: PostgreSQL cannot store it in the log`,
    );
  const separator = spec.indexOf(':');
  if (separator <= 0 || separator === spec.length - 1) {
    throw new ModelConfigError(`model "${spec}" is not "<provider>:<model>", e.g. "openai:gpt-4.1-mini"`);
  }
  return { provider: spec.slice(0, separator), model: spec.slice(separator + 1) };
}
