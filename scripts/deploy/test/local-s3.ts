import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';
import { S3Client } from '@aws-sdk/client-s3';

/** s3rver's one account. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A request as the server received it, in order. */
export interface LocalS3Request {
  method: string;
  /** Path-style: `/<bucket>/<key>`, decoded. */
  path: string;
  search: string;
}

export interface LocalS3 {
  /** `http://127.0.0.1:PORT`, for AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  requests: LocalS3Request[];
  /** The requests that change something (PUT, POST, DELETE). */
  writes(): LocalS3Request[];
  /** An SDK client with s3rver's credentials, to look at what a deploy left. */
  client: S3Client;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE']);

/**
 * A real S3-compatible server (s3rver, objects in a temporary folder) on loopback port 0, with the given buckets,
 * behind a node:http server that records each request: the order of uploads is part of what a deploy promises.
 */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'chainlog-s3-'));
  const s3rver = new S3rver({
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
    // The SDK signs bucket-level requests for `/<bucket>/` and s3rver recomputes them for `/<bucket>`, so every
    // HeadBucket and ListObjects would be refused. It still refuses an access key it does not know.
    allowMismatchedSignatures: true,
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const requests: LocalS3Request[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: request.method ?? 'GET', path: decodeURIComponent(url.pathname), search: url.search });
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_S3_CREDENTIALS,
  });
  return {
    endpoint,
    requests,
    writes: () => requests.filter((request) => WRITE_METHODS.has(request.method)),
    client,
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
