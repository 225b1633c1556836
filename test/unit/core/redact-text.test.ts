import { describe, expect, it } from 'vitest';
import { redactText } from '../../../src/core/redact-text.js';

describe('redactText', () => {
  it('masks email addresses and phone-like digit runs but keeps the rest readable', () => {
    expect(redactText('Invalid email "alice.smith@example.com" for +1 (724) 123-4567')).toBe('Invalid email "[email]" for [number]');
    expect(redactText('Max Input Length Exceeded')).toBe('Max Input Length Exceeded');
    expect(redactText('index 12 of 75')).toBe('index 12 of 75');
  });

  it('cuts long text', () => {
    expect(redactText('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
