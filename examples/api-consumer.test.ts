import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PACKAGE } from '../server/build/api-package.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';

const runFile = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
// Generating the declaration, packing it and installing three packages from npm's cache: 20 s on the busy machine.
const SETUP_TIMEOUT_MS = 180_000;

// A project of its own, outside the repository, with the strict flags a consumer may have.
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    types: ['node'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    // tRPC's own declarations need the DOM's and ws's types; ours are checked as api-check.ts, a copy.
    skipLibCheck: true,
    outDir: 'out',
  },
  files: ['client.ts', 'wrong.ts', 'api-check.ts', 'readme-sample.ts'],
};

/** README's sample client (under "From another TypeScript project"), pointed at `node readme-sample.js <ws> <http>`. */
function readmeSample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### From another TypeScript project'));
  const sample = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const pointed = sample
    .replace("'ws://127.0.0.1:8800/trpc'", "String(process.argv[2]) + '/trpc'")
    .replace("'http://127.0.0.1:8800/trpc'", "String(process.argv[3]) + '/trpc'");
  if (!pointed.includes('process.argv[2]') || !pointed.includes('process.argv[3]'))
    throw new Error("README's sample client no longer names the URLs this test points elsewhere");
  return pointed;
}

const CLIENT = `import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@chainlog/api';

const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: \`\${process.argv[2]}/trpc\` })] });
const health = await api.health.query();
const status: 'ok' = health.status;
const submitted = await api.inbox.submit.mutate({ from: 'ann@example.com', subject: undefined, body: 'Where is A-1042?' });
const page = await api.inbox.list.query({ limit: 5 });
const first = page.items[0];
const detail = await api.chains.get.query({ chainId: submitted.chainId });
let refusal = '';
try {
  await api.inbox.submit.mutate({ from: 'not an address', body: '' });
} catch (error) {
  if (error instanceof TRPCClientError) refusal = \`\${error.data?.code} \${error.data?.httpStatus}\`;
}
console.log(JSON.stringify({ status, chainId: submitted.chainId, firstChainId: first?.chainId ?? null, steps: detail.steps.length, refusal }));
`;

// Each line must fail to typecheck: the input or output of a procedure used against its type.
const WRONG = [
  `import { createTRPCClient, httpBatchLink } from '@trpc/client';`,
  `import type { AppRouter } from '@chainlog/api';`,
  `const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: 'http://127.0.0.1:1/trpc' })] });`,
  `export const wrongInput = api.inbox.submit.mutate({ from: 42, body: 'hello' });`,
  `export const wrongOutput: number = (await api.health.query()).status;`,
  `export const unknownProcedure = api.inbox.remove.mutate({ id: 'x' });`,
  `export const wrongEnum = api.chains.list.query({ status: 'lost' });`,
].join('\n');
const WRONG_LINES = [4, 5, 6, 7];

describe('a TypeScript project consuming the API through dist/api', () => {
  let consumerDir: string;
  let running: RunningServer;
  beforeAll(async () => {
    consumerDir = mkdtempSync(path.join(tmpdir(), 'chainlog-consumer-'));
    running = await startRunningServer();
    const apiDir = path.join(consumerDir, 'api');
    await runFile(process.execPath, ['--import', 'tsx', 'server/build/api-types.ts', apiDir], {
      cwd: REPO_ROOT,
      timeout: SETUP_TIMEOUT_MS,
    });
    const { stdout } = await runFile('npm', ['pack', apiDir, '--pack-destination', consumerDir], { cwd: consumerDir });
    writeFileSync(
      path.join(consumerDir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // What README "The typed API" says to install.
    const trpc = API_PACKAGE.trpcVersion;
    await runFile(
      'npm',
      [
        'install',
        `./${stdout.trim()}`,
        `@trpc/client@${trpc}`,
        `@trpc/server@${trpc}`,
        '@types/node@20',
        // What README's sample client needs in Node beside them.
        'ws@8',
        '@types/ws@8',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      {
        cwd: consumerDir,
        timeout: SETUP_TIMEOUT_MS,
      },
    );
    writeFileSync(path.join(consumerDir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(path.join(consumerDir, 'client.ts'), CLIENT);
    writeFileSync(path.join(consumerDir, 'wrong.ts'), WRONG);
    writeFileSync(path.join(consumerDir, 'readme-sample.ts'), readmeSample());
    copyFileSync(
      path.join(consumerDir, 'node_modules/@chainlog/api/index.d.ts'),
      path.join(consumerDir, 'api-check.ts'),
    );
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await running?.close();
    rmSync(consumerDir, { recursive: true, force: true });
  });

  it('types a client: calls compile under exactOptionalPropertyTypes, wrong inputs and outputs do not; the client runs', {
    timeout: 120_000,
  }, async () => {
    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const compiled = await runFile(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false', '--listFiles'], {
      cwd: consumerDir,
      timeout: 90_000,
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
    );
    const lines = compiled.stdout.split('\n').filter((line) => line !== '');
    const errors = lines.filter((line) => /error TS\d+/.test(line));
    const files = lines.filter((line) => !/error TS\d+/.test(line) && line.startsWith('/'));

    expect(compiled.code).toBe(2);
    expect(errors.filter((line) => !line.startsWith('wrong.ts('))).toEqual([]);
    expect([...new Set(errors.map((line) => Number(/^wrong\.ts\((\d+),/.exec(line)?.[1])))]).toEqual(WRONG_LINES);
    // Neither the server's source nor the SDKs, zod or Kysely: tRPC's types, Node's and the lib.
    expect(files.filter((file) => /\/(server|shared)\/src\/|openai|anthropic|kysely|zod|pglite/.test(file))).toEqual(
      [],
    );
    console.log(`consumer tsc read ${files.length} files`);

    const { stdout } = await runFile(process.execPath, ['out/client.js', running.url], {
      cwd: consumerDir,
      timeout: 20_000,
    });
    const result: unknown = JSON.parse(stdout);
    expect(result).toMatchObject({
      status: 'ok',
      chainId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      steps: expect.any(Number),
      refusal: 'BAD_REQUEST 400',
    });

    // README's sample follows its chain to the end, then exits by itself (it closes its WebSocket).
    const sample = await runFile(process.execPath, ['out/readme-sample.js', running.wsUrl, running.url], {
      cwd: consumerDir,
      timeout: 20_000,
    });
    const events = sample.stdout.trim().split('\n');
    expect(events[0]).toMatch(/^\d+ chain_started$/);
    expect(events.at(-1)).toMatch(/^\d+ chain_finished$/);
  });
});
