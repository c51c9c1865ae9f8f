import { describe, expect, it } from 'vitest';
import { bearerToken, createTokenCheck } from './access-token.js';
import { createHostCheck } from './host-check.js';

describe('createHostCheck', () => {
  it('on HOST=0.0.0.0 accepts loopback names and the allow-list, and refuses the machine reached by another name', () => {
    const hostAllowed = createHostCheck('0.0.0.0', ['chainlog.lan']);

    expect(
      ['localhost:8800', '127.0.0.1:8800', '[::1]:8800', 'chainlog.lan:8800', 'chainlog.lan'].filter(hostAllowed),
    ).toHaveLength(5);
    expect(hostAllowed('192.168.1.20:8800')).toBe(false);
    expect(hostAllowed('attacker.example')).toBe(false);
    expect(hostAllowed('chainlog.lan.attacker.example')).toBe(false);
    expect(hostAllowed(undefined)).toBe(false);
  });

  it('accepts the name the server listens on', () => {
    const hostAllowed = createHostCheck('chainlog.example.com', []);

    expect(hostAllowed('chainlog.example.com:8800')).toBe(true);
    expect(hostAllowed('example.com:8800')).toBe(false);
  });
});

describe('createTokenCheck', () => {
  const check = createTokenCheck('the-right-token-0123456789');

  it('accepts only the exact token', () => {
    expect(check('the-right-token-0123456789')).toBe(true);
    expect(check('the-right-token-012345678')).toBe(false);
    expect(check('the-right-token-0123456789 ')).toBe(false);
    expect(check('')).toBe(false);
    expect(check(undefined)).toBe(false);
  });

  it('reads the token of a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc.def-123')).toBe('abc.def-123');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic YWxhZGRpbjpvcGVu')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
