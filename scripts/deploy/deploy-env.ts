import { z } from 'zod';
import { DeployError } from './deploy-error.js';

/**
 * The only module of the deploy that reads the environment: `npm run deploy` and the pre-push hook pass it
 * `process.env`, tests pass their own. Blank values count as unset (`CHAINLOG_DEPLOY_PREFIX=` in a .env file).
 */

const optionalText = z.string().trim().optional();
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

// S3's rules for new buckets (no uppercase, no underscore), which are also the only ones path-style and virtual-host
// addressing both accept.
const bucketName = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'is not set: name the S3 bucket that serves the client' : 'must be text',
  })
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)',
  );

/** `app`, `/app/`, `app/v2` → `app/`, `app/v2/`; blank → '' (the bucket's root). */
const keyPrefix = z
  .string()
  .trim()
  .transform((value) => value.replace(/^\/+|\/+$/g, ''))
  .refine(
    (value) =>
      value.split('/').every((segment) => segment !== '.' && segment !== '..' && (value === '' || segment !== '')),
    {
      message: 'must be a key prefix such as app/ (no empty, . or .. segments)',
    },
  )
  .transform((value) => (value === '' ? '' : `${value}/`));

const deployEnvSchema = z
  .object({
    CHAINLOG_DEPLOY_BUCKET: bucketName,
    CHAINLOG_DEPLOY_PREFIX: keyPrefix.default(''),
    CHAINLOG_DEPLOY_DISTRIBUTION_ID: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Z0-9]{8,20}$/, 'is not a CloudFront distribution id (such as E2QWRUHAPOMQZL)')
        .optional(),
    ),
    CHAINLOG_DEPLOY_API_URL: optionalText.pipe(httpUrl.optional()),
    AWS_REGION: optionalText,
    AWS_PROFILE: optionalText,
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: optionalText,
    AWS_SESSION_TOKEN: optionalText,
    AWS_ENDPOINT_URL_S3: optionalText.pipe(httpUrl.optional()),
    AWS_ENDPOINT_URL_CLOUDFRONT: optionalText.pipe(httpUrl.optional()),
  })
  .superRefine((env, context) => {
    // One half of a key pair is a mistake, not a request for the SDK's other credential sources.
    if (env.AWS_ACCESS_KEY_ID && !env.AWS_SECRET_ACCESS_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['AWS_SECRET_ACCESS_KEY'],
        message: 'is not set, but AWS_ACCESS_KEY_ID is',
      });
    }
    if (env.AWS_SECRET_ACCESS_KEY && !env.AWS_ACCESS_KEY_ID) {
      context.addIssue({
        code: 'custom',
        path: ['AWS_ACCESS_KEY_ID'],
        message: 'is not set, but AWS_SECRET_ACCESS_KEY is',
      });
    }
  });

/** Where and how to publish, from the environment. */
export interface DeployConfig {
  bucket: string;
  /** '' or a prefix ending in `/`, put before every key. */
  prefix: string;
  distributionId: string | undefined;
  /** Baked into the bundle as VITE_API_URL; unset, the client calls `/trpc` on its own origin. */
  apiUrl: string | undefined;
  region: string | undefined;
  profile: string | undefined;
  /** A key pair from the environment; unset, the SDK's own chain (profile, SSO, web identity, container, EC2). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  s3Endpoint: string | undefined;
  cloudFrontEndpoint: string | undefined;
}

function withoutBlanks(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== '',
    ),
  );
}

/**
 * Reads the deploy's configuration.
 * @throws DeployError (configuration) naming every bad or missing variable, never its value (some are secrets).
 */
export function parseDeployConfig(source: NodeJS.ProcessEnv): DeployConfig {
  const result = deployEnvSchema.safeParse(withoutBlanks(source));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`);
    throw new DeployError('configuration', `cannot deploy:\n${problems.join('\n')}`);
  }
  const env = result.data;
  return {
    bucket: env.CHAINLOG_DEPLOY_BUCKET,
    prefix: env.CHAINLOG_DEPLOY_PREFIX,
    distributionId: env.CHAINLOG_DEPLOY_DISTRIBUTION_ID,
    apiUrl: env.CHAINLOG_DEPLOY_API_URL,
    region: env.AWS_REGION,
    profile: env.AWS_PROFILE,
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          }
        : undefined,
    s3Endpoint: env.AWS_ENDPOINT_URL_S3,
    cloudFrontEndpoint: env.AWS_ENDPOINT_URL_CLOUDFRONT,
  };
}

const hookEnvSchema = z.object({
  CHAINLOG_DEPLOY_BRANCH: z
    .string()
    .trim()
    .regex(/^[^\s~^:?*[\\]+$/, 'is not a git branch name')
    .default('main'),
  CHAINLOG_DEPLOY_BUCKET: optionalText,
});

/** What the pre-push hook needs to decide whether to deploy: the branch that deploys, and whether a bucket is set. */
export interface HookConfig {
  branch: string;
  bucketSet: boolean;
}

/** @throws DeployError (configuration) when CHAINLOG_DEPLOY_BRANCH is not a branch name. */
export function parseHookConfig(source: NodeJS.ProcessEnv): HookConfig {
  const result = hookEnvSchema.safeParse(withoutBlanks(source));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`);
    throw new DeployError('configuration', `cannot decide whether to deploy:\n${problems.join('\n')}`);
  }
  return { branch: result.data.CHAINLOG_DEPLOY_BRANCH, bucketSet: result.data.CHAINLOG_DEPLOY_BUCKET !== undefined };
}
