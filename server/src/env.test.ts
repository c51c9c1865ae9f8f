import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from './env.js';
import { limitsFromEnv } from './http/limits.js';

function parseError(source: NodeJS.ProcessEnv): EnvError {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error('expected parseEnv to throw an EnvError');
}

describe('parseEnv', () => {
  it('defaults to 127.0.0.1:8800 and ./.chainlog when nothing is set', () => {
    const env = parseEnv({});

    expect(env).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 8800,
      CHAINLOG_DATA_DIR: './.chainlog',
      CHAINLOG_LOG_LEVEL: 'info',
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });

  it('reads numbers from their text and treats blank optional values as unset', () => {
    const env = parseEnv({ PORT: '9000', DATABASE_URL: '  ', OPENAI_API_KEY: '' });

    expect(env.PORT).toBe(9000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });

  it('reads CHAINLOG_INSTANCE_ID in lower case, as the database prints it', () => {
    expect(parseEnv({ CHAINLOG_INSTANCE_ID: '01A24376-C879-7208-AD73-5EB3CF1D70B1' }).CHAINLOG_INSTANCE_ID).toBe(
      '01a24376-c879-7208-ad73-5eb3cf1d70b1',
    );
  });

  it('accepts a postgres:// or postgresql:// DATABASE_URL', () => {
    expect(parseEnv({ DATABASE_URL: 'postgres://app@db.internal:5432/chainlog' }).DATABASE_URL).toBe(
      'postgres://app@db.internal:5432/chainlog',
    );
    expect(parseEnv({ DATABASE_URL: 'postgresql://app@db.internal/chainlog' }).DATABASE_URL).toBe(
      'postgresql://app@db.internal/chainlog',
    );
  });

  it('throws one EnvError naming both a bad PORT and a bad DATABASE_URL', () => {
    const error = parseError({ PORT: 'eighty', DATABASE_URL: 'mysql://app@db.internal/chainlog' });

    expect(error.name).toBe('EnvError');
    expect(error.message).toMatch(/^\s*PORT: /m);
    expect(error.message).toMatch(/^\s*DATABASE_URL: /m);
  });

  it('names a PORT out of range', () => {
    expect(parseError({ PORT: '70000' }).message).toMatch(/^\s*PORT: /m);
  });

  it('never prints an API key, even when another variable is bad', () => {
    const openaiKey = 'sk-proj-SECRET-openai-0123456789';
    const anthropicKey = 'sk-ant-SECRET-anthropic-0123456789';

    const error = parseError({
      OPENAI_API_KEY: openaiKey,
      ANTHROPIC_API_KEY: anthropicKey,
      PORT: 'eighty',
      CHAINLOG_LOG_LEVEL: 'loud',
    });

    expect(error.message).toMatch(/^\s*PORT: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_LOG_LEVEL: /m);
    expect(error.message).not.toContain(openaiKey);
    expect(error.message).not.toContain(anthropicKey);
    expect(error.message).not.toContain('SECRET');
  });

  it('does not echo a key pasted into the wrong variable', () => {
    const openaiKey = 'sk-proj-SECRET-openai-0123456789';

    const error = parseError({ OPENAI_BASE_URL: openaiKey, CHAINLOG_MODEL: openaiKey });

    expect(error.message).toMatch(/^\s*OPENAI_BASE_URL: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_MODEL: /m);
    expect(error.message).not.toContain('SECRET');
  });

  it('reads NODE_ENV as development, production or test (development when unset) and CHAINLOG_ALLOW_OFFLINE as 0 or 1', () => {
    expect(parseEnv({})).toMatchObject({ NODE_ENV: 'development', CHAINLOG_ALLOW_OFFLINE: false });
    expect(parseEnv({ NODE_ENV: 'production', CHAINLOG_ALLOW_OFFLINE: '1' })).toMatchObject({
      NODE_ENV: 'production',
      CHAINLOG_ALLOW_OFFLINE: true,
    });
    expect(parseEnv({ NODE_ENV: 'test', CHAINLOG_ALLOW_OFFLINE: '0' })).toMatchObject({
      NODE_ENV: 'test',
      CHAINLOG_ALLOW_OFFLINE: false,
    });

    const error = parseError({ NODE_ENV: 'prod', CHAINLOG_ALLOW_OFFLINE: 'yes' });
    expect(error.message).toMatch(/^\s*NODE_ENV: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_ALLOW_OFFLINE: /m);
  });
});

describe('the bounds from the environment', () => {
  it('default to 1 MB bodies, 10 calls a batch, 1 MB WebSocket messages, 4 MiB waiting to be sent, 50 connections, 100 subscriptions, 120 submissions a minute, 1,000 waiting chains', () => {
    expect(limitsFromEnv(parseEnv({}))).toEqual({
      maxBodyBytes: 1_048_576,
      maxBatchCalls: 10,
      maxWsMessageBytes: 1_048_576,
      maxWsBufferedBytes: 4_194_304,
      maxConnectionsPerAddress: 50,
      maxSubscriptionsPerConnection: 100,
      maxSubmissionsPerMinute: 120,
      maxWaitingChains: 1_000,
      maxExports: 4,
      connectionParamsTimeoutMs: 10_000,
      trustProxy: false,
    });
  });

  it('reads each bound and CHAINLOG_TRUST_PROXY=1 from its variable', () => {
    const limits = limitsFromEnv(
      parseEnv({
        CHAINLOG_MAX_BODY_BYTES: '2048',
        CHAINLOG_MAX_BATCH_CALLS: '30',
        CHAINLOG_MAX_WS_MESSAGE_BYTES: '4096',
        CHAINLOG_MAX_WS_BUFFERED_BYTES: '8192',
        CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS: '5',
        CHAINLOG_MAX_SUBSCRIPTIONS_PER_CONNECTION: '6',
        CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE: '7',
        CHAINLOG_MAX_WAITING_CHAINS: '0',
        CHAINLOG_MAX_EXPORTS: '2',
        CHAINLOG_CONNECTION_PARAMS_TIMEOUT_MS: '2500',
        CHAINLOG_TRUST_PROXY: '1',
      }),
    );

    expect(limits).toEqual({
      maxBodyBytes: 2048,
      maxBatchCalls: 30,
      maxWsMessageBytes: 4096,
      maxWsBufferedBytes: 8192,
      maxConnectionsPerAddress: 5,
      maxSubscriptionsPerConnection: 6,
      maxSubmissionsPerMinute: 7,
      maxWaitingChains: 0,
      maxExports: 2,
      connectionParamsTimeoutMs: 2_500,
      trustProxy: true,
    });
  });

  it('takes numbers in decimal digits only, and durations a timer can wait', () => {
    const error = parseError({
      PORT: '0x1f90',
      CHAINLOG_MAX_BODY_BYTES: '1e6',
      CHAINLOG_MAX_RUNNING_CHAINS: '4.0',
      CHAINLOG_LLM_TIMEOUT_MS: '3000000000',
    });

    for (const name of ['PORT', 'CHAINLOG_MAX_BODY_BYTES', 'CHAINLOG_MAX_RUNNING_CHAINS'])
      expect(error.message).toMatch(new RegExp(`^\\s*${name}: must be a whole number written in decimal digits$`, 'm'));
    expect(error.message).toMatch(/^\s*CHAINLOG_LLM_TIMEOUT_MS: Too big: expected number to be <=2147483647$/m);
    expect(parseEnv({ PORT: ' 8080 ', CHAINLOG_LLM_TIMEOUT_MS: '2147483647' })).toMatchObject({
      PORT: 8080,
      CHAINLOG_LLM_TIMEOUT_MS: 2_147_483_647,
    });
  });

  it('names every bound that is not a whole number in range', () => {
    const error = parseError({
      CHAINLOG_MAX_BODY_BYTES: '1MB',
      CHAINLOG_MAX_BATCH_CALLS: '0',
      CHAINLOG_MAX_WAITING_CHAINS: '-1',
      CHAINLOG_TRUST_PROXY: 'yes',
    });

    expect(error.message).toMatch(/^\s*CHAINLOG_MAX_BODY_BYTES: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_MAX_BATCH_CALLS: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_MAX_WAITING_CHAINS: /m);
    expect(error.message).toMatch(/^\s*CHAINLOG_TRUST_PROXY: /m);
  });

  it('refuses a batch limit under what the web client sends at once', () => {
    expect(parseError({ CHAINLOG_MAX_BATCH_CALLS: '9' }).message).toMatch(
      /^\s*CHAINLOG_MAX_BATCH_CALLS: must be at least 10: the web client sends up to 10 calls a batch$/m,
    );
    expect(parseEnv({ CHAINLOG_MAX_BATCH_CALLS: '10' })).toMatchObject({ CHAINLOG_MAX_BATCH_CALLS: 10 });
  });
});

describe('parseEnv: access variables', () => {
  it('asks for no token and allows no other host or origin by default', () => {
    const env = parseEnv({});

    expect(env.CHAINLOG_TOKEN).toBeUndefined();
    expect(env.CHAINLOG_ALLOWED_HOSTS).toEqual([]);
    expect(env.CHAINLOG_ALLOWED_ORIGINS).toEqual([]);
  });

  it('reads comma-separated hosts and origins the way requests spell them', () => {
    const env = parseEnv({
      CHAINLOG_ALLOWED_HOSTS: ' Chainlog.Example.com , 10.0.0.5,::1,',
      CHAINLOG_ALLOWED_ORIGINS: 'https://App.example.com/, http://localhost:5173',
    });

    expect(env.CHAINLOG_ALLOWED_HOSTS).toEqual(['chainlog.example.com', '10.0.0.5', '[::1]']);
    expect(env.CHAINLOG_ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('names a host with a port and an origin with a path or a wildcard', () => {
    const error = parseError({
      CHAINLOG_ALLOWED_HOSTS: 'ok.example.com,chainlog.example.com:8800',
      CHAINLOG_ALLOWED_ORIGINS: 'https://app.example.com/path,*',
    });

    expect(error.message).toMatch(/^\s*CHAINLOG_ALLOWED_HOSTS\.1: "chainlog\.example\.com:8800"/m);
    expect(error.message).toMatch(/^\s*CHAINLOG_ALLOWED_ORIGINS\.0: "https:\/\/app\.example\.com\/path"/m);
    expect(error.message).toMatch(/^\s*CHAINLOG_ALLOWED_ORIGINS\.1: "\*"/m);
  });

  it('refuses a token shorter than 16 characters without printing it', () => {
    const shortToken = 'tiny-secret';

    const error = parseError({ CHAINLOG_TOKEN: shortToken });

    expect(error.message).toMatch(/^\s*CHAINLOG_TOKEN: must be at least 16 characters/m);
    expect(error.message).not.toContain(shortToken);
  });
});
