/**
 * The fake provider in a process of its own, as a real provider would be: the benchmark's own process then
 * spends its CPU only on the SDK and on ask(). The parent sets the answer delay over IPC.
 */
import { startFakeProvider } from '../server/test/fake-provider.js';
import { BENCH_ANSWER } from './bench-task.js';

const fake = await startFakeProvider();
let delayMs = 0;
fake.respondWith(() => {
  // The recorded requests would grow without bound over a benchmark.
  fake.requests.length = 0;
  return { kind: 'json', value: BENCH_ANSWER, delayMs };
});
process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && 'delayMs' in message && typeof message.delayMs === 'number') {
    delayMs = message.delayMs;
    process.send?.({ ok: true });
  }
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
process.send?.({ openaiBaseUrl: fake.openaiBaseUrl });
