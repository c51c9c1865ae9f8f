import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A CreateInvalidation request as the fake received it from the real SDK. */
export interface RecordedInvalidation {
  method: string;
  path: string;
  distributionId: string;
  /** The `<Path>` items of the InvalidationBatch. */
  paths: string[];
  /** Whether the request was signed for CloudFront (SigV4, service `cloudfront`, region us-east-1). */
  signedForCloudFront: boolean;
}

export interface FakeCloudFront {
  /** `http://127.0.0.1:PORT`, for AWS_ENDPOINT_URL_CLOUDFRONT. */
  endpoint: string;
  invalidations: RecordedInvalidation[];
  /** Every request, CreateInvalidation or not. */
  requestCount(): number;
  close(): Promise<void>;
}

const CREATE_INVALIDATION = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/;
const NAMESPACE = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

/**
 * CloudFront has no local server: this fake answers CreateInvalidation as CloudFront does (201, an `Invalidation`
 * document, a Location header) and records what the SDK sent. Anything else gets CloudFront's 404 error document.
 */
export async function startFakeCloudFront(): Promise<FakeCloudFront> {
  const invalidations: RecordedInvalidation[] = [];
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const match = CREATE_INVALIDATION.exec(request.url ?? '');
      if (request.method !== 'POST' || !match?.[1]) {
        response.writeHead(404, { 'content-type': 'text/xml' });
        response.end(
          `<?xml version="1.0"?><ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>NoSuchResource</Code><Message>not faked</Message></Error></ErrorResponse>`,
        );
        return;
      }
      const distributionId = match[1];
      const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((found) => found[1] ?? '');
      const authorization = request.headers.authorization ?? '';
      invalidations.push({
        method: request.method,
        path: request.url ?? '',
        distributionId,
        paths,
        signedForCloudFront: /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/cloudfront\/aws4_request/.test(
          authorization,
        ),
      });
      const id = `I${String(invalidations.length).padStart(13, '0')}`;
      const items = paths.map((item) => `<Path>${item}</Path>`).join('');
      response.writeHead(201, {
        'content-type': 'text/xml',
        location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${id}`,
      });
      response.end(
        `<?xml version="1.0"?><Invalidation xmlns="${NAMESPACE}"><Id>${id}</Id><Status>InProgress</Status>` +
          `<CreateTime>${new Date().toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity>` +
          `<Items>${items}</Items></Paths><CallerReference>recorded</CallerReference></InvalidationBatch></Invalidation>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invalidations,
    requestCount: () => requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
