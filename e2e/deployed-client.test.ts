import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../scripts/deploy/deploy.js';
import { type FakeCloudFront, startFakeCloudFront } from '../scripts/deploy/test/fake-cloudfront.js';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../scripts/deploy/test/local-s3.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { launchChromium } from './browser.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = path.join('test-output', 'e2e', process.env.CHAINLOG_TEST_DB ?? 'pglite', 'deployed');
const WAIT = { timeout: 15_000 };
const BUCKET = 'web';

describe('the client deployed to S3, on its own origin, talking to the API on another', () => {
  let s3: LocalS3;
  let cloudFront: FakeCloudFront;
  let server: RunningServer;
  let browser: Browser;
  let distDir: string;

  beforeAll(async () => {
    [s3, cloudFront] = await Promise.all([startLocalS3([BUCKET]), startFakeCloudFront()]);
    // The API allows the bucket's origin only: the page comes from there, the calls go to the server's own port.
    server = await startRunningServer({ env: { CHAINLOG_ALLOWED_ORIGINS: s3.endpoint } });
    distDir = path.join(mkdtempSync(path.join(tmpdir(), 'chainlog-deployed-')), 'dist');
    await deploy({
      environment: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CHAINLOG_DEPLOY_BUCKET: BUCKET,
        CHAINLOG_DEPLOY_DISTRIBUTION_ID: 'E2QWRUHAPOMQZL',
        CHAINLOG_DEPLOY_API_URL: `${server.url}/trpc`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ENDPOINT_URL_CLOUDFRONT: cloudFront.endpoint,
      },
      projectRoot: PROJECT_ROOT,
      distDir,
      build: true,
      dryRun: false,
    });
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all([s3?.close(), cloudFront?.close()]);
    if (distDir) rmSync(path.dirname(distDir), { recursive: true, force: true });
  });

  it('opens index.html from the bucket, submits a message and sees its chain finish live over the cross-origin WebSocket', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    const apiOrigins = new Set<string>();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/trpc')) apiOrigins.add(url.origin);
    });
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(new URL(socket.url()).origin));

    await page.goto(`${s3.endpoint}/${BUCKET}/index.html`);
    await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), WAIT).toBe('open');
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    for (const step of ['intent recognition', 'entity extraction', 'reply drafting']) {
      await expect.poll(() => page.getByTestId(`step-${step}`).getAttribute('data-status'), WAIT).toBe('succeeded');
    }
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'chain-finished.png'), fullPage: true });

    expect(new URL(page.url()).origin).toBe(s3.endpoint);
    expect([...apiOrigins]).toEqual([server.url]);
    expect(new Set(sockets)).toEqual(new Set([server.wsUrl]));
    expect(cloudFront.invalidations.map(({ paths }) => paths)).toEqual([['/index.html']]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
