import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainRows, rejectionOf, useLlmHarness } from '../../test/llm-harness.js';
import { thrownBy } from '../../test/thrown-by.js';
import { newChainId } from './chain-context.js';
import { ModelConfigError } from './errors/index.js';
import { OfflineNotAllowedError, assertNoOfflineTasks } from './offline-policy.js';
import { defineTask } from './task.js';

const summaryTask = defineTask({
  name: 'summary (offline policy test)',
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.string() }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const labelTask = defineTask({
  name: 'label (offline policy test)',
  input: z.object({ text: z.string() }),
  output: z.object({ label: z.string() }),
  model: 'anthropic:claude-haiku-4-5',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const TASKS = [summaryTask, labelTask] as const;
const harness = useLlmHarness();

describe('offline answers in production', () => {
  it('refuse start-up, naming each task, the model it asks for and the variable that is not set', () => {
    const settings = harness.settings({
      env: { NODE_ENV: 'production', OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined },
    });

    const error = thrownBy(() => assertNoOfflineTasks(settings, TASKS));

    expect(error).toBeInstanceOf(OfflineNotAllowedError);
    expect(error).toHaveProperty(
      'message',
      expect.stringContaining('"summary (offline policy test)" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set'),
    );
    expect(error).toHaveProperty(
      'message',
      expect.stringContaining(
        '"label (offline policy test)" uses anthropic:claude-haiku-4-5 but ANTHROPIC_API_KEY is not set',
      ),
    );
  });

  it('refuse start-up for a task sent to the offline provider on purpose', () => {
    const settings = harness.settings({ env: { NODE_ENV: 'production', CHAINLOG_MODEL: 'offline:default' } });

    const error = thrownBy(() => assertNoOfflineTasks(settings, TASKS));

    expect(error).toHaveProperty(
      'message',
      expect.stringContaining('"summary (offline policy test)" uses offline:default, the offline provider'),
    );
  });

  it('are allowed in production with CHAINLOG_ALLOW_OFFLINE, in development and in tests, and not needed when every key is set', () => {
    const noKeys = { OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined };
    for (const env of [
      { ...noKeys, NODE_ENV: 'production', CHAINLOG_ALLOW_OFFLINE: true },
      { ...noKeys, NODE_ENV: 'development' },
      { ...noKeys, NODE_ENV: 'test' },
      { NODE_ENV: 'production' },
    ] as const) {
      expect(
        thrownBy(() => assertNoOfflineTasks(harness.settings({ env }), TASKS)),
        env.NODE_ENV,
      ).toBeUndefined();
    }
  });

  it('are refused call by call too: a call that asks for offline, or for a provider without a key, fails before any row is written', async () => {
    const llm = harness.createLlm({ tasks: TASKS, env: { NODE_ENV: 'production', ANTHROPIC_API_KEY: undefined } });
    const chainId = newChainId();

    const explicit = await rejectionOf(
      llm.ask(summaryTask, { text: 'x' }, { chainId, model: 'offline:default' }),
      ModelConfigError,
    );
    const fallback = await rejectionOf(llm.ask(labelTask, { text: 'x' }, { chainId }), ModelConfigError);

    expect(explicit.message).toContain('offline answers are refused in production');
    expect(fallback.message).toContain(
      '"label (offline policy test)" uses anthropic:claude-haiku-4-5 but ANTHROPIC_API_KEY is not set',
    );
    expect(await chainRows(harness.db, chainId)).toEqual([]);
    expect(harness.fake.requests).toEqual([]);
  });
});
