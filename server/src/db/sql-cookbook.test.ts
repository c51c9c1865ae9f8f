import { readFileSync } from 'node:fs';
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalystSeed, SEED_TEMPLATE, seedAnalystData } from '../../test/analyst-seed.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';

const COOKBOOK = new URL('../../../docs/sql-cookbook.md', import.meta.url);

interface Recipe {
  heading: string;
  text: string;
}

/** Every ```sql block of the cookbook, with the ### heading above it. */
function readRecipes(): Recipe[] {
  const markdown = readFileSync(COOKBOOK, 'utf8');
  const recipes: Recipe[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line.startsWith('### ')) heading = line.slice(4).trim();
    if (line.trim() !== '```sql') continue;
    const end = lines.indexOf('```', index + 1);
    if (end === -1) throw new Error(`the sql block under "${heading}" is not closed`);
    recipes.push({ heading, text: lines.slice(index + 1, end).join('\n') });
    index = end;
  }
  return recipes;
}

const CHAIN_SUMMARY_COLUMNS = [
  'chain_id',
  'name',
  'status',
  'input',
  'first_call_at',
  'last_call_at',
  'wall_ms',
  'calls',
  'attempts',
  'errors',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'slowest_step',
  'slowest_step_ms',
  'has_chain_row',
];

type Row = Record<string, unknown>;

/** What each recipe must return: its columns in order, and for some, which seeded chains. */
const EXPECTED: Record<string, { columns: string[]; check?: (rows: Row[], seed: AnalystSeed) => void }> = {
  "One chain's summary": {
    columns: CHAIN_SUMMARY_COLUMNS,
    check: (rows, seed) =>
      expect(rows).toMatchObject([{ chain_id: seed.chainIds.replyRetried, calls: 3, attempts: 4, errors: 1 }]),
  },
  'Every row of every table made in one chain': {
    columns: ['source', 'row_id', 'created_at', 'data'],
    check: (rows) => {
      expect(new Set(rows.map((row) => row.source))).toEqual(
        new Set(['chain', 'chain_event', 'inference_log', 'inbox_message', 'triage', 'reply_draft']),
      );
      expect(rows.filter((row) => row.source === 'inference_log')).toHaveLength(4);
    },
  },
  'What each call of a chain sent': {
    columns: ['id', 'name', 'attempt', 'messages', 'schema_name', 'params'],
    check: (rows) => {
      expect(rows).toHaveLength(4);
      for (const row of rows)
        expect(row).toMatchObject({
          messages: [...SEED_TEMPLATE.system_messages, { role: 'user', content: 'seeded' }],
          schema_name: SEED_TEMPLATE.output.name,
        });
    },
  },
  'The newest chains, with their totals': {
    columns: ['chain_id', 'name', 'status', 'first_call_at', 'calls', 'attempts', 'errors', 'cost_usd', 'wall_ms'],
    check: (rows, seed) => expect(rows[0]?.chain_id).toBe(seed.chainIds.running),
  },
  'What each chain cost yesterday': {
    columns: ['chain_id', 'first_attempt_at', 'attempts', 'cost_usd'],
    check: (rows, seed) => expect(rows.map((row) => row.chain_id)).toContain(seed.chainIds.replyRetried),
  },
  'The slowest step of each chain of the last day': {
    columns: ['chain_id', 'name', 'status', 'slowest_step', 'slowest_step_ms', 'wall_ms'],
    check: (rows, seed) =>
      expect(rows.find((row) => row.chain_id === seed.chainIds.anthropicToday)).toMatchObject({
        slowest_step: 'entity extraction',
        slowest_step_ms: 4_200,
      }),
  },
  'Chains where "reply drafting" needed a validation retry': {
    columns: ['chain_id', 'failed_attempt', 'error_class', 'error_message', 'retry_status', 'created_at'],
    check: (rows, seed) =>
      expect(rows).toMatchObject([
        { chain_id: seed.chainIds.replyRetried, error_class: 'OutputValidationError', retry_status: 'ok' },
        { chain_id: seed.chainIds.tenDaysAgo, error_class: 'InvalidJsonError', retry_status: 'ok' },
      ]),
  },
  'Chains that failed after a successful first step': {
    columns: ['chain_id', 'name', 'first_step', 'calls', 'attempts', 'errors', 'cost_usd', 'first_call_at'],
    check: (rows, seed) =>
      expect(rows).toMatchObject([{ chain_id: seed.chainIds.failedAfterFirstStep, first_step: 'intent recognition' }]),
  },
  'Chains made outside the demo app': {
    columns: ['chain_id', 'first_call_at', 'attempts', 'tasks', 'cost_usd'],
    check: (rows, seed) =>
      expect(rows.map((row) => row.chain_id).sort()).toEqual(
        [
          seed.chainIds.askToday,
          seed.chainIds.askYesterday,
          seed.chainIds.askFailed,
          seed.chainIds.askFailedThenAsked,
        ].sort(),
      ),
  },
  'Calls waiting for their provider right now': {
    columns: ['chain_id', 'name', 'provider', 'model', 'attempt', 'waiting_for', 'chain_status'],
    check: (rows, seed) =>
      expect(rows).toMatchObject([
        { chain_id: seed.chainIds.running, name: 'entity extraction', chain_status: 'running' },
      ]),
  },
  'p95 latency of each model this week': { columns: ['provider', 'model', 'attempts', 'p50_ms', 'p95_ms'] },
  'Error classes by provider': { columns: ['provider', 'error_class', 'attempts', 'chains', 'last_seen'] },
  'p50 and p95 of each task over 30 days, from the histogram': { columns: ['name', 'attempts', 'p50_ms', 'p95_ms'] },
  'Tokens per task per day': { columns: ['day', 'name', 'input_tokens', 'output_tokens', 'cost_usd'] },
  'Daily cost and error rate by model': {
    columns: ['day', 'provider', 'model', 'calls', 'attempts', 'error_rate', 'cost_usd'],
  },
  'Attempts per call, and what the failed attempts cost, by task': {
    columns: ['name', 'calls', 'attempts', 'attempts_per_call', 'cost_of_failed_attempts', 'cost_usd'],
  },
  'Calls answered by another model than the one asked for': {
    columns: ['requested', 'answered_by', 'attempts', 'last_seen'],
    check: (rows) =>
      expect(rows).toMatchObject([{ requested: 'openai:gpt-4.1-mini', answered_by: 'offline:default', attempts: 1 }]),
  },
  'Urgent messages, their reply, and what their chain cost': {
    columns: [
      'from_address',
      'subject',
      'intent',
      'confidence',
      'reply_subject',
      'needs_human',
      'calls',
      'attempts',
      'cost_usd',
      'wall_ms',
    ],
    check: (rows) =>
      expect(rows).toMatchObject([{ from_address: 'anthropicToday@example.com', needs_human: true, attempts: 4 }]),
  },
  'Intents per day': { columns: ['day', 'intent', 'urgency', 'messages', 'mean_confidence'] },
};

/** Replaces the psql variables (`:'chain_id'`) with numbered parameters; the same name takes the same number. */
function bindParameters(text: string, values: Record<string, string>): { text: string; parameters: string[] } {
  const names: string[] = [];
  const bound = text.replace(/:'([a-z_]+)'/g, (_match, name: string) => {
    if (!(name in values)) throw new Error(`the cookbook uses :'${name}', which the test gives no value`);
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text: bound, parameters: names.map((name) => values[name] ?? '') };
}

const recipes = readRecipes();

describe('the SQL cookbook', () => {
  let database: DatabaseHandle;
  let seed: AnalystSeed;
  beforeAll(async () => {
    database = await openTestDatabase();
    seed = await seedAnalystData(database.db);
  });
  afterAll(() => database.close());

  it('has at least 12 recipes, each under a heading of its own with an expected shape here', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(12);
    const headings = recipes.map((recipe) => recipe.heading);
    expect(new Set(headings).size).toBe(headings.length);
    expect(headings.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(recipes.map((recipe) => [recipe.heading, recipe] as const))(
    'answers "%s" with rows of the expected columns',
    async (heading, recipe) => {
      const { text, parameters } = bindParameters(recipe.text, { chain_id: seed.chainIds.replyRetried });
      const result = await database.db.executeQuery<Row>(CompiledQuery.raw(text, parameters));
      expect(result.rows.length, `"${heading}" returned no rows`).toBeGreaterThan(0);
      const expected = EXPECTED[heading];
      expect(Object.keys(result.rows[0] ?? {})).toEqual(expected?.columns);
      expected?.check?.(result.rows, seed);
    },
  );
});
