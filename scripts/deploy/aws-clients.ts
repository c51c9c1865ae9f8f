import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';
import type { DeployConfig } from './deploy-env.js';

// CloudFront is a global service whose API is signed for us-east-1, whatever region the bucket is in.
const CLOUDFRONT_SIGNING_REGION = 'us-east-1';

/** Settings both clients share; what is unset is left to the SDK's own resolution (env, profile, SSO…). */
function sharedSettings(config: DeployConfig): { profile?: string; credentials?: DeployConfig['credentials'] } {
  return {
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
}

/**
 * An S3 client for the deploy. With a custom endpoint (AWS_ENDPOINT_URL_S3: MinIO, a local fake), path-style
 * addressing: such servers rarely answer `<bucket>.<host>` names.
 */
export function createS3Client(config: DeployConfig): S3Client {
  return new S3Client({
    ...sharedSettings(config),
    ...(config.region ? { region: config.region } : {}),
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
  });
}

export function createCloudFrontClient(config: DeployConfig): CloudFrontClient {
  return new CloudFrontClient({
    ...sharedSettings(config),
    region: CLOUDFRONT_SIGNING_REGION,
    ...(config.cloudFrontEndpoint ? { endpoint: config.cloudFrontEndpoint } : {}),
  });
}
