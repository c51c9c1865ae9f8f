import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { type DeployOptions, deploy } from './deploy.js';
import { DeployError } from './deploy-error.js';
import { type FakeCloudFront, startFakeCloudFront } from './test/fake-cloudfront.js';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './test/local-s3.js';
import { viteLikeBuild, writeSyntheticBuild } from './test/synthetic-build.js';
import { captureLogs } from '../../server/test/captured-logs.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DISTRIBUTION_ID = 'E2QWRUHAPOMQZL';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const BUCKETS = ['real-build', 'changes', 'dry-run', 'refused'];

let s3: LocalS3;
let cloudFront: FakeCloudFront;

beforeAll(async () => {
  [s3, cloudFront] = await Promise.all([startLocalS3(BUCKETS), startFakeCloudFront()]);
});
afterAll(async () => {
  await Promise.all([s3?.close(), cloudFront?.close()]);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** The environment of a deploy to the local S3 and the fake CloudFront: nothing of the developer's own shell but PATH. */
function environment(bucket: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CHAINLOG_DEPLOY_BUCKET: bucket,
    CHAINLOG_DEPLOY_DISTRIBUTION_ID: DISTRIBUTION_ID,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_CLOUDFRONT: cloudFront.endpoint,
    ...extra,
  };
}

function options(bucket: string, distDir: string, overrides: Partial<DeployOptions> = {}): DeployOptions {
  return {
    environment: environment(bucket),
    projectRoot: PROJECT_ROOT,
    distDir,
    build: false,
    dryRun: false,
    ...overrides,
  };
}

/** The keys PUT into `bucket` since request number `since`, in the order the server received them. */
function putsSince(bucket: string, since: number): string[] {
  return s3.requests
    .slice(since)
    .filter((request) => request.method === 'PUT' && request.path.startsWith(`/${bucket}/`))
    .map((request) => request.path.slice(bucket.length + 2));
}

function writesSince(bucket: string, since: number): string[] {
  return s3.requests
    .slice(since)
    .filter((request) => request.method !== 'GET' && request.method !== 'HEAD' && request.path.startsWith(`/${bucket}`))
    .map((request) => `${request.method} ${request.path}${request.search.startsWith('?delete') ? '?delete' : ''}`);
}

async function storedKeys(bucket: string): Promise<string[]> {
  const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listing.Contents ?? []).map((item) => item.Key ?? '').sort();
}

describe('npm run deploy against a local S3 and a fake CloudFront', () => {
  test('a first deploy builds the client for the API URL, stores every file with its type and caching, index.html after the assets, and invalidates /index.html', async () => {
    const distDir = path.join(mkdtempSync(path.join(tmpdir(), 'chainlog-deploy-')), 'dist');
    const since = s3.requests.length;
    const apiUrl = 'https://api.chainlog.test/trpc';
    const result = await deploy({
      ...options('real-build', distDir, { build: true }),
      environment: environment('real-build', { CHAINLOG_DEPLOY_API_URL: apiUrl }),
    });

    // Vite's precompressed copies stay home: S3 would serve them only under their own names.
    const built = readdirRecursive(distDir).filter((file) => !/\.(br|gz)$/.test(file));
    expect(built.length).toBeGreaterThan(10);
    expect(await storedKeys('real-build')).toEqual([...built, '.chainlog-deploy.json'].sort());
    for (const key of built) {
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'real-build', Key: key }));
      const expected =
        key === 'index.html'
          ? ['text/html; charset=utf-8', 'no-cache']
          : key.endsWith('.js')
            ? ['text/javascript; charset=utf-8', IMMUTABLE]
            : undefined;
      if (expected) expect([key, head.ContentType, head.CacheControl]).toEqual([key, ...expected]);
      expect(head.ContentType).not.toBe('application/octet-stream');
    }
    const entry = await s3.client.send(new GetObjectCommand({ Bucket: 'real-build', Key: 'index.html' }));
    expect(await entry.Body?.transformToString()).toBe(readFileSync(path.join(distDir, 'index.html'), 'utf8'));
    const bakedIn = built.filter(
      (key) => key.endsWith('.js') && readFileSync(path.join(distDir, key), 'utf8').includes(apiUrl),
    );
    expect(bakedIn.length).toBeGreaterThan(0);

    const puts = putsSince('real-build', since);
    expect(puts.length).toBe(built.length + 1);
    expect(puts.slice(-2)).toEqual(['index.html', '.chainlog-deploy.json']);
    expect(result.uploaded.at(-1)).toBe('index.html');
    expect(cloudFront.invalidations.at(-1)).toMatchObject({
      distributionId: DISTRIBUTION_ID,
      paths: ['/index.html'],
      signedForCloudFront: true,
    });
    expect(result.invalidationId).toMatch(/^I\d+$/);

    // The same build again: nothing is written, nothing invalidated.
    const invalidationsBefore = cloudFront.invalidations.length;
    const sinceSecond = s3.requests.length;
    const again = await deploy(options('real-build', distDir));
    expect(again.plan.uploads).toEqual([]);
    expect(again.plan.unchanged.length).toBe(built.length);
    expect(writesSince('real-build', sinceSecond)).toEqual([]);
    expect(cloudFront.invalidations.length).toBe(invalidationsBefore);
  }, 180_000);

  test('a changed build uploads only its changed files, keeps the previous deploy’s assets for open tabs, and deletes them one deploy later', async () => {
    const prefixed = (keys: string[]): string[] => keys.map((key) => `app/${key}`);
    const env = (): NodeJS.ProcessEnv => environment('changes', { CHAINLOG_DEPLOY_PREFIX: '/app/' });
    const first = await deploy({
      ...options('changes', writeSyntheticBuild(viteLikeBuild('AAAAAAAA'))),
      environment: env(),
    });
    expect(first.uploaded.length).toBe(4);

    const sinceSecond = s3.requests.length;
    const second = await deploy({
      ...options('changes', writeSyntheticBuild(viteLikeBuild('BBBBBBBB'))),
      environment: env(),
    });
    expect(putsSince('changes', sinceSecond)).toEqual(
      prefixed(['assets/app-BBBBBBBB.js', 'index.html', '.chainlog-deploy.json']),
    );
    expect(second.plan.unchanged.sort()).toEqual(prefixed(['assets/vendor-VVVVVVVV.js', 'favicon.svg']));
    expect(second.plan.kept).toEqual([{ key: 'app/assets/app-AAAAAAAA.js', reason: 'in the previous deploy' }]);
    expect(second.deleted).toEqual([]);
    expect(cloudFront.invalidations.at(-1)?.paths).toEqual(['/app/index.html']);
    expect(await storedKeys('changes')).toContain('app/assets/app-AAAAAAAA.js');

    const sinceThird = s3.requests.length;
    const third = await deploy({
      ...options('changes', writeSyntheticBuild(viteLikeBuild('CCCCCCCC'))),
      environment: env(),
    });
    expect(third.deleted).toEqual(['app/assets/app-AAAAAAAA.js']);
    expect(third.plan.kept).toEqual([{ key: 'app/assets/app-BBBBBBBB.js', reason: 'in the previous deploy' }]);
    expect(writesSince('changes', sinceThird)).toEqual([
      'PUT /changes/app/assets/app-CCCCCCCC.js',
      'PUT /changes/app/index.html',
      'POST /changes/?delete',
      'PUT /changes/app/.chainlog-deploy.json',
    ]);
    expect(await storedKeys('changes')).toEqual(
      prefixed([
        '.chainlog-deploy.json',
        'assets/app-BBBBBBBB.js',
        'assets/app-CCCCCCCC.js',
        'assets/vendor-VVVVVVVV.js',
        'favicon.svg',
        'index.html',
      ]),
    );
  });

  test('a dry run reads the bucket, prints the plan and writes nothing', async () => {
    await deploy(options('dry-run', writeSyntheticBuild(viteLikeBuild('AAAAAAAA'))));
    const before = await storedKeys('dry-run');
    const since = s3.requests.length;
    const invalidations = cloudFront.requestCount();
    const result = await deploy(options('dry-run', writeSyntheticBuild(viteLikeBuild('BBBBBBBB')), { dryRun: true }));
    expect(result.plan.uploads.map(({ file }) => file.key)).toEqual(['assets/app-BBBBBBBB.js', 'index.html']);
    expect(result.uploaded).toEqual([]);
    expect(writesSince('dry-run', since)).toEqual([]);
    expect(s3.requests.slice(since).length).toBeGreaterThan(0);
    expect(await storedKeys('dry-run')).toEqual(before);
    expect(cloudFront.requestCount()).toBe(invalidations);
  });
});

describe('npm run deploy -- --no-build', () => {
  test('warns when CHAINLOG_DEPLOY_API_URL is not in the build it publishes as it is, and not when it is', async () => {
    const apiUrl = 'https://api.chainlog.test/trpc';
    const warnings = async (build: Record<string, string>): Promise<string[]> => {
      const captured = captureLogs();
      try {
        await deploy({
          ...options('dry-run', writeSyntheticBuild(build), { dryRun: true }),
          environment: environment('dry-run', { CHAINLOG_DEPLOY_API_URL: apiUrl }),
        });
      } finally {
        captured.stop();
      }
      return captured.logs.filter((entry) => entry.type === 'warn').map((entry) => entry.message);
    };

    expect(await warnings(viteLikeBuild('CCCCCCCC'))).toEqual([
      expect.stringMatching(
        /^CHAINLOG_DEPLOY_API_URL=https:\/\/api\.chainlog\.test\/trpc is not in the build in .*--no-build/,
      ),
    ]);
    expect(
      await warnings(viteLikeBuild('DDDDDDDD', { 'assets/env-EEEEEEEE.js': `export const api = "${apiUrl}";` })),
    ).toEqual([]);
  });
});

describe('a deploy that cannot succeed stops before writing anything', () => {
  test('a bucket that does not exist is named, and the client is not even built', async () => {
    const distDir = path.join(mkdtempSync(path.join(tmpdir(), 'chainlog-deploy-')), 'dist');
    const since = s3.requests.length;
    const failure = await deploy(options('no-such-bucket', distDir, { build: true })).catch((error: unknown) => error);
    expect(DeployError.isInstance(failure) && [failure.problem, failure.message]).toEqual([
      'bucket',
      `cannot deploy: bucket no-such-bucket does not exist at the S3 endpoint ${s3.endpoint} (CHAINLOG_DEPLOY_BUCKET)`,
    ]);
    expect(existsSync(distDir)).toBe(false);
    expect(s3.requests.slice(since).map((request) => request.method)).toEqual(['HEAD']);
  });

  test('without credentials the deploy says which variables to set and sends no request', async () => {
    // The SDK's own chain reads the process environment: take away everything it could find on a developer's machine.
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ]) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(tmpdir(), 'chainlog-no-such-credentials'));
    vi.stubEnv('AWS_CONFIG_FILE', path.join(tmpdir(), 'chainlog-no-such-config'));
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const since = s3.requests.length;
    const env = environment('refused', { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const failure = await deploy({
      ...options('refused', writeSyntheticBuild(viteLikeBuild('AAAAAAAA'))),
      environment: env,
    }).catch((error: unknown) => error);
    expect(DeployError.isInstance(failure) && failure.problem).toBe('credentials');
    expect(failure instanceof Error && failure.message).toMatch(
      /^cannot deploy: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/,
    );
    expect(s3.requests.length).toBe(since);
  });

  test('credentials the bucket refuses are reported as such, with nothing written', async () => {
    const since = s3.requests.length;
    const env = environment('refused', {
      AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret-of-s3rver',
    });
    const failure = await deploy({
      ...options('refused', writeSyntheticBuild(viteLikeBuild('AAAAAAAA'))),
      environment: env,
    }).catch((error: unknown) => error);
    expect(DeployError.isInstance(failure) && failure.problem).toBe('credentials');
    expect(failure instanceof Error && failure.message).toContain('the AWS credentials may not use bucket refused');
    expect(failure instanceof Error && failure.message).not.toContain('not-a-secret-of-s3rver');
    expect(writesSince('refused', since)).toEqual([]);
    expect(await storedKeys('refused')).toEqual([]);
  });

  test('a missing CHAINLOG_DEPLOY_BUCKET is named before any request', async () => {
    const since = s3.requests.length;
    const env = environment('refused', { CHAINLOG_DEPLOY_BUCKET: undefined });
    const failure = await deploy({
      ...options('refused', writeSyntheticBuild(viteLikeBuild('AAAAAAAA'))),
      environment: env,
    }).catch((error: unknown) => error);
    expect(DeployError.isInstance(failure) && [failure.problem, failure.message]).toEqual([
      'configuration',
      'cannot deploy:\n  CHAINLOG_DEPLOY_BUCKET is not set: name the S3 bucket that serves the client',
    ]);
    expect(s3.requests.length).toBe(since);
  });
});

function readdirRecursive(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
