/** The pending and the finished row of one real ask() against the fake provider, for the log-write benches. */
import type { Db } from '../server/src/db/client.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import type { NewRequestTemplate } from '../server/src/db/tables/request-template.js';
import { createLlm } from '../server/src/llm/ask.js';
import { startFakeProvider } from '../server/test/fake-provider.js';
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
