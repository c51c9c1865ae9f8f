import { afterEach, describe, expect, it } from 'vitest';
import { logsAt, setLogLevel } from './log.js';

describe('logsAt', () => {
  // As server/test/quiet-logs.ts leaves it for the other tests of this file.
  afterEach(() => setLogLevel('error'));

  it('follows the level set after the loggers were made', () => {
    setLogLevel('warn');
    expect(logsAt('error')).toBe(true);
    expect(logsAt('warn')).toBe(true);
    expect(logsAt('info')).toBe(false);
    expect(logsAt('debug')).toBe(false);
    setLogLevel('debug');
    expect(logsAt('debug')).toBe(true);
    expect(logsAt('trace')).toBe(false);
  });
});
