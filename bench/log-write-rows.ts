/** Log rows for the log-write benches: those of one real ask() against the fake provider, and a hand-made finished one. */
import type { Db } from '../server/src/db/client.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import type { NewRequestTemplate } from '../server/src/db/tables/request-template.js';
import { createLlm } from '../server/src/llm/ask.js';
import { startFakeProvider } from '../server/test/fake-provider.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { BENCH_ANSWER, USER_TEXT, benchLlmSettings, benchTask } from './bench-task.js';

export interface CapturedRows {
  pending: NewInferenceLog;
  finished: NewInferenceLog;
  template: NewRequestTemplate;
}

/** Runs one ask() with a writer that only keeps what it is given; `db` is migrated and holds the task's prices. */
export async function captureRows(db: Db): Promise<CapturedRows> {
  const fake = await startFakeProvider({ respond: () => ({ kind: 'json', value: BENCH_ANSWER }) });
  const rows: NewInferenceLog[] = [];
  let template: NewRequestTemplate | undefined;
  const llm = createLlm({
    db,
    settings: benchLlmSettings(fake.openaiBaseUrl),
    tasks: [benchTask],
    logWriter: {
      write: async (row, written) => {
        rows.push(row);
        template = written;
      },
    },
  });
  await llm.ask(benchTask, { text: USER_TEXT });
  await fake.close();
  const [pending, finished] = rows;
  if (!pending || !finished || !template) throw new Error('ask() wrote fewer than two rows, or no template');
  return { pending, finished, template };
}

/** A finished row of a task with no request template, as the writer's one-row upsert writes it. */
export function finishedBenchRow(): NewInferenceLog {
  const now = new Date();
  return {
    id: uuidv7(),
    chain_id: uuidv7(),
    chain_step: null,
    name: 'bench task',
    provider: 'openai',
    model: 'gpt-4o-mini',
    status: 'ok',
    attempt: 1,
    request: JSON.stringify({ messages: [{ role: 'user', content: 'Where is my parcel?' }] }),
    request_template_id: null,
    response: JSON.stringify({ id: 'chatcmpl-1', choices: [{ message: { content: '{"intent":"track"}' } }] }),
    output: JSON.stringify({ intent: 'track' }),
    error: null,
    input_tokens: 120,
    output_tokens: 12,
    cost_usd: '0.000025',
    price_source: 'offline',
    latency_ms: 21,
    provider_request_id: 'req_1',
    instance_id: null,
    created_at: now,
    finished_at: now,
  };
}
