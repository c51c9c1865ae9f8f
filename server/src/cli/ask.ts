import { parseArgs } from 'node:util';
import { EnvError, loadDotEnvFile, parseEnv } from '../env.js';
import { ConfigFileError } from '../llm/config-file.js';
import { LlmError, UnknownTaskError } from '../llm/errors/index.js';
import { redirectLogStdout, setLogLevel } from '../log.js';
import { TASKS } from '../tasks/index.js';
import { describeNonPostgresInput } from './input-text.js';

const USAGE = `usage: npm run ask -- "<task name>" '<json input>' [--chain <chain id>] [--model <provider>:<model>]`;

/** Runs one registered task from the command line and prints { output, chainId, logId } as JSON on stdout. */
async function main(): Promise<number> {
  // stdout carries only the JSON answer; every log line goes to stderr.
  redirectLogStdout(process.stderr);
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { chain: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [taskName, inputText] = positionals;
  if (values.help || !taskName || inputText === undefined || positionals.length > 2) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let input: unknown;
  try {
    input = JSON.parse(inputText);
  } catch {
    process.stderr.write(`the input is not valid JSON: ${inputText}\n${USAGE}\n`);
    return 2;
  }
  // JSON brings NUL or half a character in as an escape (the command line itself cannot hold either): refused before
  // the database opens, as the task's schema may not refuse it and the call's log row could not be written.
  const unstorable = describeNonPostgresInput(input);
  if (unstorable) {
    process.stderr.write(`${unstorable}\n${USAGE}\n`);
    return 2;
  }
  // A mistyped task name is a usage error: said before a database is opened (on a first run, made and migrated).
  const taskNames: string[] = TASKS.map((task) => task.name);
  if (!taskNames.includes(taskName)) {
    process.stderr.write(`${new UnknownTaskError(taskName, taskNames).message}\n${USAGE}\n`);
    return 2;
  }
  loadDotEnvFile();
  const env = parseEnv();
  setLogLevel(env.CHAINLOG_LOG_LEVEL === 'info' ? 'warn' : env.CHAINLOG_LOG_LEVEL);
  // Loaded once the arguments hold: the app's modules are most of the CLI's start-up, which a usage error need not pay.
  const { openApp } = await import('../app.js');
  const app = await openApp(env, 'cli');
  try {
    const result = await app.llm.askByName(taskName, input, { chainId: values.chain, model: values.model });
    process.stdout.write(
      `${JSON.stringify({ output: result.output, chainId: result.chainId, logId: result.logId }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (LlmError.isInstance(error)) {
      process.stderr.write(`${error.name}: ${error.message}${error.logId ? ` (log ${error.logId})` : ''}\n`);
    } else if (error instanceof EnvError || error instanceof ConfigFileError || error instanceof Error) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`${String(error)}\n`);
    }
    process.exit(1);
  },
);
