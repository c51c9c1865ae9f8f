import { readFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { chainRows, onlyRow, useLlmHarness } from '../../test/llm-harness.js';
import { newChainId } from './chain-context.js';
import { priceCall } from './pricing.js';
import { defineTask } from './task.js';

const labelTask = defineTask({
  name: 'label (pricing test)',
  input: z.object({ text: z.string() }),
  output: z.object({ label: z.enum(['spam', 'ham']) }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});
const LABEL = { label: 'ham' } as const;
const USAGE = { inputTokens: 1_200, outputTokens: 300 };

// The version the server depends on, pinned exactly: every row priced from the package names it.
const pinned = z
  .object({ dependencies: z.object({ '@pydantic/genai-prices': z.string().regex(/^\d+\.\d+\.\d+$/) }) })
  .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).dependencies[
  '@pydantic/genai-prices'
];
const PACKAGE_SOURCE = `genai-prices@${pinned}`;

function packageFigure(providerId: string, model: string): string {
  const priced = calcPrice({ input_tokens: USAGE.inputTokens, output_tokens: USAGE.outputTokens }, model, {
    providerId,
  });
  if (!priced) throw new Error(`the package has no price for ${providerId}:${model}`);
  return priced.total_price.toFixed(8);
}

const harness = useLlmHarness();

async function askOnce(options: { model?: string; config?: Parameters<typeof harness.createLlm>[0]['config'] }) {
  harness.fake.enqueue({ kind: 'json', value: LABEL, usage: USAGE });
  const llm = harness.createLlm({ tasks: [labelTask], config: options.config });
  const result = await llm.ask(labelTask, { text: 'Lunch?' }, { chainId: newChainId(), model: options.model });
  return { result, row: onlyRow(await chainRows(harness.db, result.chainId)) };
}

describe('the cost of a call', () => {
  it('of a known model is the figure of the bundled genai-prices table, and the row names the table and its version', async () => {
    const openai = await askOnce({});
    const anthropic = await askOnce({ model: 'anthropic:claude-haiku-4-5' });

    expect(openai.row).toMatchObject({
      cost_usd: packageFigure('openai', 'gpt-4.1-mini'),
      price_source: PACKAGE_SOURCE,
    });
    // The package's figure, not one typed here: 1200 × $0.40 + 300 × $1.60 per million.
    expect(openai.row.cost_usd).toBe('0.00096000');
    expect(openai.result.costUsd).toBe(openai.row.cost_usd);
    expect(anthropic.row).toMatchObject({
      model: 'claude-haiku-4-5',
      cost_usd: packageFigure('anthropic', 'claude-haiku-4-5'),
      price_source: PACKAGE_SOURCE,
    });
  });

  it('takes the deployment override over the bundled price, and marks the row as priced by the config', async () => {
    const exact = await askOnce({
      config: { prices: { 'openai:gpt-4.1-mini': { inputPerMillion: 1, outputPerMillion: 2 } } },
    });
    const wildcard = await askOnce({
      config: { prices: { 'openai:*': { inputPerMillion: 10, outputPerMillion: 0 } } },
    });

    // 1200 × $1 + 300 × $2 per million; then 1200 × $10.
    expect(exact.row).toMatchObject({ cost_usd: '0.00180000', price_source: 'config' });
    expect(wildcard.row).toMatchObject({ cost_usd: '0.01200000', price_source: 'config' });
    expect(exact.row.cost_usd).not.toBe(packageFigure('openai', 'gpt-4.1-mini'));
  });

  it('of a model no table knows is stored as NULL, with no price source', async () => {
    const { result, row } = await askOnce({ model: 'openai:gpt-unpriced-test' });

    expect(result.costUsd).toBeNull();
    expect(row).toMatchObject({ status: 'ok', model: 'gpt-unpriced-test', cost_usd: null, price_source: null });
    expect(row.input_tokens).toBe(USAGE.inputTokens);
  });

  it('of an offline answer is zero, marked offline', async () => {
    const llm = harness.createLlm({ tasks: [labelTask], env: { OPENAI_API_KEY: undefined } });

    const result = await llm.ask(labelTask, { text: 'Lunch?' }, { chainId: newChainId() });

    const row = onlyRow(await chainRows(harness.db, result.chainId));
    expect(row).toMatchObject({ provider: 'offline', cost_usd: '0.00000000', price_source: 'offline' });
  });
});

describe('priceCall', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const call = {
    provider: 'groq',
    providerSettings: {
      type: 'openai-compatible' as const,
      baseURL: 'https://api.groq.com/openai/v1',
      structuredOutput: 'json_schema' as const,
    },
    model: 'llama-3.1-8b-instant',
    usage: USAGE,
    at: new Date(),
  };

  it('prices an OpenAI-compatible server by the API its base URL names, from the bundled table without a request', () => {
    const fetching = vi.spyOn(globalThis, 'fetch');

    const cost = priceCall({}, call);

    const priced = calcPrice({ input_tokens: 1_200, output_tokens: 300 }, 'llama-3.1-8b-instant', {
      providerApiUrl: 'https://api.groq.com/openai/v1',
    });
    expect(priced).not.toBeNull();
    expect(cost).toEqual({ costUsd: priced?.total_price.toFixed(8), priceSource: PACKAGE_SOURCE });
    expect(fetching).not.toHaveBeenCalled();
  });

  it('does not price a local server by its name, only by its URL', () => {
    const local = {
      ...call,
      provider: 'mistral',
      model: 'mistral-large-latest',
      providerSettings: { ...call.providerSettings, baseURL: 'http://127.0.0.1:11434/v1' },
    };

    expect(priceCall({}, local)).toEqual({ costUsd: null, priceSource: null });
    // Named as Mistral's API, the table would have priced it.
    expect(calcPrice({ input_tokens: 1 }, 'mistral-large-latest', { providerId: 'mistral' })).not.toBeNull();
  });

  it('knows no cost when the provider did not report usage', () => {
    const cost = priceCall(
      { 'groq:*': { inputPerMillion: 1, outputPerMillion: 1 } },
      {
        ...call,
        usage: { inputTokens: null, outputTokens: 300 },
      },
    );

    expect(cost).toEqual({ costUsd: null, priceSource: null });
  });
});
