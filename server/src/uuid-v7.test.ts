import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid-v7.js';

describe('uuidv7', () => {
  it('makes valid, distinct version 7 UUIDs across refills of its random pool', () => {
    const ids = Array.from({ length: 2_000 }, () => uuidv7());
    for (const id of ids) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps ids made in the same millisecond in creation order', () => {
    const ids = Array.from({ length: 5_000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
  });

  it('puts the current time in the first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const msecs = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(msecs).toBeGreaterThanOrEqual(before);
    expect(msecs).toBeLessThanOrEqual(Date.now() + 1);
  });
});
