import { describe, expect, it } from 'vitest';
import { startOf } from './text-start.js';

describe('the start of a long text', () => {
  it('is none for a text short enough to show whole', () => {
    expect(startOf('Hi,\n\nwhere is my order?')).toBeNull();
    expect(startOf(Array.from({ length: 12 }, (_, index) => `line ${index}`).join('\n'))).toBeNull();
    expect(startOf('x'.repeat(1_200))).toBeNull();
    // Only white space past the twelfth line.
    expect(startOf(`${'line\n'.repeat(12)}\n  \n`)).toBeNull();
  });

  it('is its first twelve lines, or its first 1,200 characters, whichever is shorter', () => {
    const lines = Array.from({ length: 40 }, (_, index) => `line ${index}`);
    expect(startOf(lines.join('\n'))).toBe(lines.slice(0, 12).join('\n'));
    expect(startOf('x'.repeat(5_000))).toBe('x'.repeat(1_200));
    expect(startOf(`${'y'.repeat(2_000)}\nmore`)).toBe('y'.repeat(1_200));
    // An emoji at the cut is left out whole, not cut in half.
    expect(startOf(`${'x'.repeat(1_199)}📦 and more`)).toBe('x'.repeat(1_199));
    // A blank line at the cut is not kept before the ellipsis.
    expect(startOf(`${'a\n'.repeat(11)}\n\nb`)).toBe('a\n'.repeat(10).concat('a'));
  });
});
