import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DatabaseOpenError, openConfiguredDatabase } from '../db/open-problem.js';
import { targetFromEnv } from '../db/dialect.js';
import type { Step } from '../db/bulk-load.js';
import { seedSyntheticData } from '../db/synthetic-seed.js';
import { EnvError, loadDotEnvFile, parseEnv } from '../env.js';
import { redirectLogStdout, setLogLevel } from '../log.js';

const USAGE =
  'usage: npm run db:seed -- --logs <count> [--seed <number in -1..1>]   (into DATABASE_URL, or the embedded PGlite)';

class UsageError extends Error {}

/** Adds synthetic chains to the configured database (see seedSyntheticData) and prints what it wrote, and how fast. */
async function main(): Promise<number> {
  redirectLogStdout(process.stderr);
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { logs: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const logs = Number(values.logs?.replaceAll('_', '').replaceAll(',', ''));
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (positionals.length > 0 || !Number.isSafeInteger(logs) || logs < 1) throw new UsageError(USAGE);
  if (seed !== undefined && !(seed >= -1 && seed <= 1))
    throw new UsageError(`--seed is a number from -1 to 1\n${USAGE}`);
  loadDotEnvFile();
  const env = parseEnv();
  setLogLevel('warn');
  const target = targetFromEnv(env);
  const database = await openConfiguredDatabase(target, { applicationName: 'chainlog db:seed' });
  try {
    const steps: { name: string; at: number; ms: number }[] = [];
    const started = performance.now();
    const step: Step = async (name, work) => {
      const stepStarted = performance.now();
      try {
        return await work();
      } finally {
        steps.push({ name, at: stepStarted - started, ms: performance.now() - stepStarted });
      }
    };
    // PostgreSQL: two connections, one per core of a small machine (see SyntheticSeedOptions.connections).
    const connections = target.kind === 'postgres' ? 2 : 1;
    const counts = await seedSyntheticData(database.db, {
      logs,
      step,
      connections,
      ...(seed === undefined ? {} : { seed }),
    });
    const seconds = (performance.now() - started) / 1000;
    const where = target.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite at ${target.dataDir}`;
    process.stdout.write(
      `seeded ${where} in ${seconds.toFixed(1)} s (${Math.round(counts.logs / seconds).toLocaleString('en-US')} log rows/s):\n` +
        `  ${counts.logs.toLocaleString('en-US')} inference_log rows in ${counts.chains.toLocaleString('en-US')} chains over 60 days\n` +
        `  ${counts.chainRows.toLocaleString('en-US')} chain rows (the rest are chains only the log knows), ${counts.chainEvents.toLocaleString('en-US')} chain events\n` +
        `  ${counts.messages.toLocaleString('en-US')} inbox messages, ${counts.triages.toLocaleString('en-US')} triages, ${counts.replyDrafts.toLocaleString('en-US')} reply drafts\n` +
        `where the time went (started at, took${connections === 2 ? '; [1] and [2] are the two connections, which work at once' : ''}):\n` +
        `${steps
          .sort((first, second) => first.at - second.at)
          .map(
            ({ name, at, ms }) =>
              `  ${(at / 1000).toFixed(1).padStart(6)} s ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`,
          )
          .join('\n')}\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof EnvError || error instanceof DatabaseOpenError;
    process.stderr.write(
      `${known || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : error.stack}\n`,
    );
    process.exit(known ? 2 : 1);
  },
);
