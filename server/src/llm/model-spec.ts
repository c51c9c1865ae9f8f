import { z } from 'zod';
import { ModelConfigError } from './errors/index.js';

/** "<provider>:<model>", e.g. "openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5", "ollama:llama3.1". */
export const modelSpecSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*:.+$/i, 'expected "<provider>:<model>", e.g. "openai:gpt-4.1-mini"');

export interface ModelSpec {
  provider: string;
  model: string;
}

/** @throws ModelConfigError when the spec is not "<provider>:<model>". */
export function parseModelSpec(spec: string): ModelSpec {
  const separator = spec.indexOf(':');
  if (separator <= 0 || separator === spec.length - 1) {
    throw new ModelConfigError(`model "${spec}" is not "<provider>:<model>", e.g. "openai:gpt-4.1-mini"`);
  }
  return { provider: spec.slice(0, separator), model: spec.slice(separator + 1) };
}
