import { describe, expect, it } from 'vitest';
import { ModelConfigError } from './errors/index.js';
import { modelSpecSchema, parseModelSpec } from './model-spec.js';

describe('model specs', () => {
  it('splits "<provider>:<model>" at the first colon', () => {
    expect(parseModelSpec('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', model: 'llama3.1:8b' });
    expect(modelSpecSchema.parse('openai:gpt-4.1-mini')).toBe('openai:gpt-4.1-mini');
  });

  it.each([
    ['NUL', 'openai:gpt\u0000mini'],
    ['a lone surrogate', 'openai:gpt\ud800mini'],
  ])('refuses %s, which the log row could not store, in the schema and in parseModelSpec', (_what, spec) => {
    expect(modelSpecSchema.safeParse(spec).success).toBe(false);
    expect(() => parseModelSpec(spec)).toThrow(ModelConfigError);
    expect(() => parseModelSpec(spec)).toThrow(/PostgreSQL cannot store/);
  });

  it('refuses a spec without provider or model', () => {
    expect(() => parseModelSpec(':gpt')).toThrow(ModelConfigError);
    expect(() => parseModelSpec('openai:')).toThrow(ModelConfigError);
  });
});
