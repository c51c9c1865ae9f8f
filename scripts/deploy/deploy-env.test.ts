import { describe, expect, test } from 'vitest';
import { parseDeployConfig, parseHookConfig } from './deploy-env.js';
import { DeployError } from './deploy-error.js';

function failure(source: NodeJS.ProcessEnv): string {
  try {
    parseDeployConfig(source);
  } catch (error) {
    if (DeployError.isInstance(error) && error.problem === 'configuration') return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('the deploy configuration', () => {
  test('a prefix is normalised to end in one slash, and blank values count as unset', () => {
    expect(parseDeployConfig({ CHAINLOG_DEPLOY_BUCKET: 'site', CHAINLOG_DEPLOY_PREFIX: '/app/v2/' }).prefix).toBe(
      'app/v2/',
    );
    expect(
      parseDeployConfig({ CHAINLOG_DEPLOY_BUCKET: 'site', CHAINLOG_DEPLOY_PREFIX: '  ', AWS_REGION: '' }),
    ).toMatchObject({ prefix: '', region: undefined });
  });

  test('every bad variable is named, and no value is repeated (some are secrets)', () => {
    const message = failure({
      CHAINLOG_DEPLOY_BUCKET: 'My_Bucket',
      CHAINLOG_DEPLOY_PREFIX: 'app/../x',
      CHAINLOG_DEPLOY_DISTRIBUTION_ID: 'e-lower',
      CHAINLOG_DEPLOY_API_URL: 'api.example.com',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-secret',
    });
    for (const name of [
      'CHAINLOG_DEPLOY_BUCKET',
      'CHAINLOG_DEPLOY_PREFIX',
      'CHAINLOG_DEPLOY_DISTRIBUTION_ID',
      'CHAINLOG_DEPLOY_API_URL',
      'AWS_ACCESS_KEY_ID',
    ]) {
      expect(message).toContain(`  ${name} `);
    }
    expect(message).not.toContain('wJalrXUtnFEMI');
    expect(message).not.toContain('My_Bucket');
  });

  test('a key pair from the environment becomes the credentials; without one the SDK looks for its own', () => {
    expect(
      parseDeployConfig({ CHAINLOG_DEPLOY_BUCKET: 'site', AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's' })
        .credentials,
    ).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
    });
    expect(parseDeployConfig({ CHAINLOG_DEPLOY_BUCKET: 'site', AWS_PROFILE: 'deploy' })).toMatchObject({
      credentials: undefined,
      profile: 'deploy',
    });
  });

  test('the hook deploys main unless CHAINLOG_DEPLOY_BRANCH says otherwise', () => {
    expect(parseHookConfig({})).toEqual({ branch: 'main', bucketSet: false });
    expect(parseHookConfig({ CHAINLOG_DEPLOY_BRANCH: 'production', CHAINLOG_DEPLOY_BUCKET: 'site' })).toEqual({
      branch: 'production',
      bucketSet: true,
    });
  });
});
