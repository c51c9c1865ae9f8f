import { describe, expect, it } from 'vitest';
import {
  InvalidJsonError,
  InvalidResponseBodyError,
  LlmError,
  OutputValidationError,
  ProviderError,
  ProviderTimeoutError,
  RefusalError,
} from './errors/index.js';
import { backoffMs, decideRetry } from './retry-policy.js';

const PARAMS = { maxRetries: 2, validationRetries: 1 };
const invalidBody = () =>
  new InvalidResponseBodyError('openai', {
    providerStatus: 200,
    providerRequestId: null,
    contentType: 'text/html',
    body: '<html>',
  });

describe('decideRetry', () => {
  it('asks again with feedback after unusable output, until validationRetries are spent', () => {
    const error = new InvalidJsonError('not json');
    expect(decideRetry(error, { validation: 0, transient: 0 }, PARAMS)).toEqual({ kind: 'feedback' });
    expect(decideRetry(new OutputValidationError([]), { validation: 1, transient: 0 }, PARAMS)).toEqual({
      kind: 'exhausted',
    });
  });

  it('retries a body that is not JSON after a backoff, until maxRetries are spent, counted apart from validation retries', () => {
    expect(decideRetry(invalidBody(), { validation: 1, transient: 0 }, PARAMS, () => 0)).toEqual({
      kind: 'retry',
      delayMs: 500,
    });
    expect(decideRetry(invalidBody(), { validation: 0, transient: 1 }, PARAMS, () => 0)).toEqual({
      kind: 'retry',
      delayMs: 1_000,
    });
    expect(decideRetry(invalidBody(), { validation: 0, transient: 2 }, PARAMS)).toEqual({ kind: 'fail' });
  });

  it('fails at once on what the SDK already retried, and on what retrying cannot fix', () => {
    const errors = [
      new ProviderError('openai answered HTTP 500', { providerStatus: 500 }),
      new ProviderTimeoutError('slow'),
      new RefusalError('no'),
    ];
    for (const error of errors)
      expect(decideRetry(error, { validation: 0, transient: 0 }, PARAMS)).toEqual({ kind: 'fail' });
  });
});

describe('backoffMs', () => {
  it('doubles from 0.5 s up to 8 s and takes off at most 25 % jitter, like the SDKs', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((retries) => backoffMs(retries, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(backoffMs(0, () => 1)).toBe(375);
  });
});

describe('the error guards of a class that extends another', () => {
  it('match the subclass as its parent too, but not the parent as the subclass', () => {
    const provider = new ProviderError('openai answered HTTP 500', { providerStatus: 500 });
    expect(ProviderError.isInstance(invalidBody())).toBe(true);
    expect(LlmError.isInstance(invalidBody())).toBe(true);
    expect(InvalidResponseBodyError.isInstance(invalidBody())).toBe(true);
    expect(InvalidResponseBodyError.isInstance(provider)).toBe(false);
    expect(RefusalError.isInstance(invalidBody())).toBe(false);
    expect(invalidBody().toRecord()).toMatchObject({
      class: 'InvalidResponseBodyError',
      code: 'invalid_response_body',
      providerStatus: 200,
    });
  });
});
