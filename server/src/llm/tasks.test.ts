import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTask } from './task.js';
import { TaskRegistry } from './tasks.js';

const taskNamed = (name: string) =>
  defineTask({
    name,
    input: z.object({ text: z.string() }),
    output: z.object({ echo: z.string() }),
    model: 'openai:gpt-4.1-mini',
    prompt: ({ text }) => [{ role: 'user', content: text }],
  });

describe('TaskRegistry', () => {
  it('registers a task by its short name', () => {
    expect(new TaskRegistry([taskNamed('echo')]).get('echo').definition.name).toBe('echo');
  });

  it.each([
    ['NUL', 'echo\u0000'],
    ['a lone surrogate', 'echo \ud800'],
  ])('refuses a task name holding %s, which every log row of the task would fail to store', (_what, name) => {
    expect(() => new TaskRegistry([taskNamed(name)])).toThrow(/task name .* PostgreSQL cannot store/);
  });
});
