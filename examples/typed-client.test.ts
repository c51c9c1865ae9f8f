import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';

const runFile = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs the example as a client developer would; rejects (with its output) on a non-zero exit or after 20 s. */
function runExample(args: string[], env: Record<string, string> = {}) {
  return runFile(process.execPath, ['--import', 'tsx', 'examples/typed-client.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CHAINLOG_URL: '', CHAINLOG_TOKEN: '', ...env },
    timeout: 20_000,
  });
}

/** The example's stdout lines that report a finished step, as "<number> <name>". */
function finishedSteps(stdout: string): string[] {
  return [...stdout.matchAll(/^step (\d) ([a-z ]+): done in \d+ ms on /gm)].map((match) => `${match[1]} ${match[2]}`);
}

describe('the typed client example', () => {
  let running: RunningServer;
  beforeAll(async () => {
    // No provider keys: every task runs on the offline provider.
    running = await startRunningServer();
  });
  afterAll(() => running.close());

  it('submits a message, prints each step as it finishes and the structured results, and exits 0', async () => {
    const { stdout, stderr } = await runExample([running.url]);

    expect(stderr).toBe('');
    expect(stdout).toMatch(/^submitted message [0-9a-f-]{36}; following chain [0-9a-f-]{36}$/m);
    expect(finishedSteps(stdout)).toEqual(['1 intent recognition', '2 entity extraction', '3 reply drafting']);
    expect(stdout).toMatch(/^chain succeeded$/m);
    expect(stdout).toMatch(/^intent: order_status \(confidence 0\.8, urgency normal\)$/m);
    expect(stdout).toMatch(/^entities: orderNumbers A-1042; people Ada/m);
    expect(stdout).toMatch(/^reply draft \(helpful\):$/m);
    expect(stdout).toMatch(/^ {2}subject: Re: Where is my order\?$/m);
    expect(stdout).toMatch(/^ {2}Hi Ada,$/m);
    expect(stdout.indexOf('step 3 reply drafting')).toBeLessThan(stdout.indexOf('chain succeeded'));
  });

  it('takes the server URL from CHAINLOG_URL when no argument is given', async () => {
    const { stdout } = await runExample([], { CHAINLOG_URL: running.url });

    expect(finishedSteps(stdout)).toEqual(['1 intent recognition', '2 entity extraction', '3 reply drafting']);
    expect(stdout).toMatch(/^chain succeeded$/m);
  });
});

describe('the typed client example against a server with CHAINLOG_TOKEN', () => {
  const token = 'example-door-token-3e7a1c9f';
  let running: RunningServer;
  beforeAll(async () => {
    running = await startRunningServer({ env: { CHAINLOG_TOKEN: token } });
  });
  afterAll(() => running.close());

  it('follows the chain to the end with the token from CHAINLOG_TOKEN', async () => {
    const { stdout } = await runExample([running.url], { CHAINLOG_TOKEN: token });

    expect(finishedSteps(stdout)).toEqual(['1 intent recognition', '2 entity extraction', '3 reply drafting']);
    expect(stdout).toMatch(/^chain succeeded$/m);
  });

  it('exits 1 saying that the server needs a token when it has none', async () => {
    const failure = await runExample([running.url]).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('needs a token') });
  });
});
