import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './test/local-s3.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// simple-git-hooks is CommonJS and typeless: the one function the test calls, checked at the boundary.
const simpleGitHooks = z
  .object({
    setHooksFromConfig: z.custom<(projectRoot: string) => Promise<unknown>>((value) => typeof value === 'function'),
  })
  .parse(createRequire(import.meta.url)('simple-git-hooks'));

let s3: LocalS3;
let repo: string;
let remote: string;

/**
 * git with a fixed identity and only the environment given: the developer's own AWS or deploy settings stay out.
 * Asynchronous: the local S3 answering the hook's deploy runs in this process.
 */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; output: string }> {
  const environment = {
    PATH: process.env.PATH,
    HOME: repo,
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_update_notifier: 'false',
    ...env,
  };
  return new Promise((resolve) => {
    execFile('git', args, { cwd: repo, encoding: 'utf8', env: environment }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ status, output: `${stdout}${stderr}` });
    });
  });
}

async function commit(file: string, content: string): Promise<void> {
  writeFileSync(path.join(repo, file), content);
  await run(['add', file]);
  await run(['commit', '-qm', `change ${file}`]);
}

async function localHead(): Promise<string> {
  return (await run(['rev-parse', 'HEAD'])).output.trim();
}

function remoteHead(branch: string): string {
  return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
    cwd: remote,
    encoding: 'utf8',
  }).trim();
}

beforeAll(async () => {
  s3 = await startLocalS3(['site']);
  const root = mkdtempSync(path.join(tmpdir(), 'chainlog-hook-'));
  repo = path.join(root, 'work');
  remote = path.join(root, 'remote.git');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
  await run(['init', '-q', '-b', 'main']);
  await run(['remote', 'add', 'origin', remote]);
  // A project whose hook config is this repository's, with its scripts and installed packages.
  const { 'simple-git-hooks': hooks } = z
    .object({ 'simple-git-hooks': z.record(z.string(), z.unknown()) })
    .parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')));
  writeFileSync(
    path.join(repo, 'package.json'),
    JSON.stringify({ name: 'hook-test', private: true, 'simple-git-hooks': hooks }),
  );
  symlinkSync(path.join(PROJECT_ROOT, 'scripts'), path.join(repo, 'scripts'));
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(repo, 'node_modules'));
  writeFileSync(path.join(repo, '.gitignore'), 'node_modules\nscripts\n');
  await simpleGitHooks.setHooksFromConfig(repo);
  await commit('README.md', 'first\n');
});

afterAll(async () => {
  await s3?.close();
});

describe('the pre-push hook that npm install sets up', () => {
  test('without a bucket the push goes through, with one line saying nothing was deployed', async () => {
    const pushed = await run(['push', '-q', 'origin', 'main']);
    expect(pushed.status).toBe(0);
    expect(pushed.output).toContain('no deploy: CHAINLOG_DEPLOY_BUCKET is not set');
    expect(remoteHead('main')).toBe(await localHead());
  }, 60_000);

  test('a push of another branch goes through without deploying, even with a bucket set', async () => {
    await run(['checkout', '-q', '-b', 'feature']);
    await commit('feature.txt', 'work\n');
    const pushed = await run(['push', '-q', 'origin', 'feature'], { CHAINLOG_DEPLOY_BUCKET: 'site' });
    await run(['checkout', '-q', 'main']);
    expect(pushed.status).toBe(0);
    expect(pushed.output).toContain('no deploy: this push updates feature, not main (CHAINLOG_DEPLOY_BRANCH)');
    expect(s3.requests).toEqual([]);
  }, 60_000);

  test('a failed deploy stops the push of main, with the reason', async () => {
    const before = remoteHead('main');
    await commit('README.md', 'second\n');
    const pushed = await run(['push', '-q', 'origin', 'main'], {
      CHAINLOG_DEPLOY_BUCKET: 'no-such-bucket',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
    });
    expect(pushed.status).not.toBe(0);
    expect(pushed.output).toContain(
      `push stopped: cannot deploy: bucket no-such-bucket does not exist at the S3 endpoint ${s3.endpoint}`,
    );
    expect(remoteHead('main')).toBe(before);
    expect(s3.writes()).toEqual([]);
  }, 60_000);
});
