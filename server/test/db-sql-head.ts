import { type ScriptRun, runTsxScript } from './tsx-script.js';

/**
 * `npm run db:sql` with `env`, read as `| head -n 3` reads it: the pipe is closed once three lines came. The result is
 * made lazily and is more than the script could print before its time is up, so the run ends only by stopping.
 */
export async function readDbSqlAsHeadDoes(env: Record<string, string>): Promise<ScriptRun & { read: string }> {
  let read = '';
  const run = await runTsxScript(
    'server/src/cli/sql.ts',
    ['select generate_series(1, 1000000000) as n', '--format', 'csv'],
    env,
    {
      onStdout: (chunk, close) => {
        read += chunk;
        if (read.split('\r\n').length > 3) close();
      },
    },
  );
  return { ...run, read };
}
