import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../../src/cli/args.js';

const spec = { port: { type: 'number', help: '' }, host: { type: 'string', help: '' }, 'auto-create': { type: 'boolean', help: '' } } as const;

describe('parseFlags', () => {
  it('reads --flag value, --flag=value and boolean forms', () => {
    expect(parseFlags(['--port', '0', '--host=127.0.0.1', '--auto-create', 'false', 'x'], spec)).toEqual({ flags: { port: 0, host: '127.0.0.1', 'auto-create': false }, positionals: ['x'] });
    expect(parseFlags(['--auto-create'], spec).flags['auto-create']).toBe(true);
  });

  it('rejects unknown options, missing values and non-numbers with a message naming the option', () => {
    expect(() => parseFlags(['--prot', '1'], spec)).toThrow(/unknown option --prot/);
    expect(() => parseFlags(['--port'], spec)).toThrow(UsageError);
    expect(() => parseFlags(['--port', 'abc'], spec)).toThrow(/--port takes a number/);
    expect(() => parseFlags(['--auto-create=maybe'], spec)).toThrow(/true or false/);
  });

  it('collects every value of a repeatable string flag in order, and keeps the last value of the others', () => {
    const repeatable = { ...spec, tag: { type: 'string', help: '', repeatable: true } } as const;
    expect(parseFlags(['--tag', 'a', '--host', 'h1', '--tag=b', '--host=h2'], repeatable).flags).toEqual({ tag: ['a', 'b'], host: 'h2' });
    expect(parseFlags(['--tag', 'only'], repeatable).flags.tag).toEqual(['only']);
    expect(parseFlags([], repeatable).flags.tag).toBeUndefined();
    expect(() => parseFlags(['--tag'], repeatable)).toThrow(/--tag needs a value/);
  });
});
