import { describe, expect, it } from 'vitest';
import { readHealthzAccessMode } from './access.js';

describe('readHealthzAccessMode', () => {
  it('reads the access mode a /healthz body names', () => {
    expect(readHealthzAccessMode({ status: 'ok', auth: 'token' })).toBe('token');
    expect(readHealthzAccessMode({ status: 'ok', auth: 'none' })).toBe('none');
  });

  it.each([null, undefined, 'token', 42, [], {}, { auth: 'TOKEN' }, { auth: null }, { auth: ['token'] }])(
    'names no mode for %j',
    (body) => {
      expect(readHealthzAccessMode(body)).toBeUndefined();
    },
  );
});
