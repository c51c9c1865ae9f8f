import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useLlmHarness } from '../../test/llm-harness.js';
import { thrownBy } from '../../test/thrown-by.js';
import { TASKS } from '../tasks/index.js';
import { defineTask } from './task.js';
import { TaskRouteError, assertTaskRoutes } from './task-routes.js';

const harness = useLlmHarness();

const localTask = defineTask({
  name: 'label (task routes test)',
  input: z.object({ text: z.string() }),
  output: z.object({ label: z.string() }),
  model: 'local:tiny',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

describe('start-up with the tasks routed by env and config file', () => {
  it('starts with the demo tasks on their own models, on a default model, or routed to a provider of the config', () => {
    expect(() => assertTaskRoutes(harness.settings(), TASKS)).not.toThrow();
    expect(() =>
      assertTaskRoutes(harness.settings({ env: { CHAINLOG_MODEL: 'anthropic:claude-haiku-4-5' } }), TASKS),
    ).not.toThrow();
    const routed = harness.settings({
      config: {
        providers: { local: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1' } },
        tasks: { 'intent recognition': { model: 'local:llama3.2' } },
      },
    });
    expect(() => assertTaskRoutes(routed, [...TASKS, localTask])).not.toThrow();
  });

  it('refuses a config that sets a task nobody registered (a misspelt name), listing the tasks there are', () => {
    const settings = harness.settings({ config: { tasks: { 'intent recogniton': { model: 'openai:gpt-4.1' } } } });

    const error = thrownBy(() => assertTaskRoutes(settings, TASKS));

    expect(error).toBeInstanceOf(TaskRouteError);
    expect(error).toHaveProperty(
      'message',
      expect.stringContaining('the config file sets task "intent recogniton", which is not registered'),
    );
    expect(error).toHaveProperty('message', expect.stringContaining('Tasks: "intent recognition"'));
  });

  it('refuses a model whose provider does not exist, saying where the model was set', () => {
    const fromEnv = thrownBy(() => assertTaskRoutes(harness.settings({ env: { CHAINLOG_MODEL: 'foo:bar' } }), TASKS));
    const fromTask = thrownBy(() => assertTaskRoutes(harness.settings(), [localTask]));

    expect(fromEnv).toBeInstanceOf(TaskRouteError);
    expect(fromEnv).toHaveProperty(
      'message',
      expect.stringContaining(
        '"intent recognition" uses foo:bar (from CHAINLOG_MODEL or the config file\'s model), but no provider is called "foo"',
      ),
    );
    expect(fromEnv).toHaveProperty(
      'message',
      expect.stringMatching(/Providers: .*openai.*anthropic|Providers: .*anthropic.*openai/),
    );
    expect(fromTask).toHaveProperty(
      'message',
      expect.stringContaining('uses local:tiny (from its definition), but no provider is called "local"'),
    );
  });
});
