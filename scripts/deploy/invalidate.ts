import { type CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { ENTRY_PAGE } from './build-files.js';
import { DeployError } from './deploy-error.js';

/**
 * The one path to invalidate: the entry page, as the distribution serves the bucket's keys (`/<prefix>index.html`).
 * Every other file is fingerprinted (a new name per content) or revalidated (`no-cache`), so `/*` would only cost
 * more (paths past the free 1,000 a month are billed) and empty the edge caches of assets that did not change.
 */
export function invalidationPath(prefix: string): string {
  return `/${prefix}${ENTRY_PAGE}`;
}

/**
 * Asks CloudFront to drop its cached entry page. Returns the invalidation's id; CloudFront completes it within minutes.
 * @throws DeployError (invalidation); the files are published by then, and index.html is `no-cache` anyway.
 */
export async function invalidateEntryPage(
  cloudFront: CloudFrontClient,
  distributionId: string,
  path: string,
): Promise<string> {
  try {
    const result = await cloudFront.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        // Unique per request: CloudFront treats a repeated CallerReference as the same invalidation.
        InvalidationBatch: { CallerReference: `chainlog-deploy-${Date.now()}`, Paths: { Quantity: 1, Items: [path] } },
      }),
    );
    return result.Invalidation?.Id ?? 'unknown';
  } catch (error) {
    throw new DeployError(
      'invalidation',
      `the files are published, but the invalidation of ${path} on distribution ${distributionId} failed ` +
        `(CHAINLOG_DEPLOY_DISTRIBUTION_ID): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
