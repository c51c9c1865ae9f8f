import { HeadBucketCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { DeployConfig } from './deploy-env.js';
import { DeployError } from './deploy-error.js';

/** Where the bucket is looked for, for messages: the custom endpoint, or AWS S3 in the region. */
export function describeS3(config: DeployConfig, region: string): string {
  return config.s3Endpoint ? `the S3 endpoint ${config.s3Endpoint}` : `AWS S3 in ${region}`;
}

async function resolveRegion(s3: S3Client): Promise<string> {
  try {
    // biome-ignore lint/nursery/useAwaitThenable: the SDK types region as a Provider<string>, a function returning a promise
    return await s3.config.region();
  } catch (error) {
    throw new DeployError(
      'configuration',
      'cannot deploy: no AWS region: set AWS_REGION (or a region in the AWS_PROFILE config)',
      {
        cause: error,
      },
    );
  }
}

async function resolveCredentials(s3: S3Client): Promise<void> {
  try {
    await s3.config.credentials();
  } catch (error) {
    throw new DeployError(
      'credentials',
      'cannot deploy: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, ' +
        `or a role the SDK can assume (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/**
 * Checks, before anything is built or written, that the region and credentials resolve and that the bucket exists and
 * answers to them (HeadBucket: the s3:ListBucket permission the deploy needs to compare files anyway).
 * Returns the region in use.
 * @throws DeployError naming what is missing: the region, the credentials, the bucket, or the bucket's permission.
 */
export async function checkBucket(s3: S3Client, config: DeployConfig): Promise<string> {
  const region = await resolveRegion(s3);
  await resolveCredentials(s3);
  const where = describeS3(config, region);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: config.bucket }));
    return region;
  } catch (error) {
    if (!(error instanceof S3ServiceException)) {
      throw new DeployError(
        'bucket',
        `cannot deploy: cannot reach ${where}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const status = error.$metadata.httpStatusCode;
    const answer = `${status ?? 'no status'} ${error.name}`;
    if (status === 404) {
      throw new DeployError(
        'bucket',
        `cannot deploy: bucket ${config.bucket} does not exist at ${where} (CHAINLOG_DEPLOY_BUCKET)`,
        {
          cause: error,
        },
      );
    }
    if (status === 403) {
      throw new DeployError(
        'credentials',
        `cannot deploy: the AWS credentials may not use bucket ${config.bucket} at ${where} (${answer}): ` +
          'they need s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it',
        { cause: error },
      );
    }
    if (status === 301 || status === 400) {
      throw new DeployError(
        'bucket',
        `cannot deploy: bucket ${config.bucket} is not in ${region} (${answer}): set AWS_REGION to its region`,
        {
          cause: error,
        },
      );
    }
    throw new DeployError('bucket', `cannot deploy: ${where} answered ${answer} for bucket ${config.bucket}`, {
      cause: error,
    });
  }
}
