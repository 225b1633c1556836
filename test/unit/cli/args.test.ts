import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommand, parseFlags, UsageError, wantsHelp } from '../../../src/cli/args.js';

const spec = { port: { type: 'number', help: '' }, host: { type: 'string', help: '' }, 'auto-create': { type: 'boolean', help: '' } } as const;

describe('parseFlags', () => {
  it('reads --flag value, --flag=value and boolean forms', () => {
    expect(parseFlags(['--port', '0', '--host=127.0.0.1', '--auto-create', 'false', 'x'], spec)).toEqual({ flags: { port: 0, host: '127.0.0.1', 'auto-create': false }, positionals: ['x'] });
    expect(parseFlags(['--auto-create'], spec).flags['auto-create']).toBe(true);
    expect(parseFlags(['--auto-create=false'], spec).flags['auto-create']).toBe(false);
    expect(parseFlags(['--auto-create=true', 'y'], spec)).toEqual({ flags: { 'auto-create': true }, positionals: ['y'] });
  });

  it('rejects unknown options, missing values and non-numbers with a message naming the option', () => {
    expect(() => parseFlags(['--prot', '1'], spec)).toThrow(/unknown option --prot; known: --port, --host, --auto-create/);
    expect(() => parseFlags(['-x'], spec)).toThrow(/unknown option -x/);
    expect(() => parseFlags(['--port'], spec)).toThrow(/option --port needs a value/);
    expect(() => parseFlags(['--port'], spec)).toThrow(UsageError);
    expect(() => parseFlags(['--port', 'abc'], spec)).toThrow(/--port takes a number/);
    expect(() => parseFlags(['--port='], spec)).toThrow(/--port takes a number/);
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

describe('parseCommand', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const captureStdout = () => vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });

  it('prints the help for -h or --help anywhere on the line, even beside mistakes, and says so', () => {
    captureStdout();
    for (const argv of [['-h'], ['--help'], ['--port', '1', '-h'], ['--bogus', '--help'], ['stray', '-h']]) {
      out.length = 0;
      const line = parseCommand(argv, spec, 'tributary thing [--port N]', { epilog: 'More words.' });
      expect(line.helped).toBe(true);
      expect(out.join('')).toContain('usage: tributary thing [--port N]');
      expect(out.join('')).toContain('-h, --help');
      expect(out.join('')).toContain('More words.');
    }
    expect(wantsHelp(['--', '-h'])).toBe(false);
  });

  it('refuses stray positional arguments and unknown options with the usage attached', () => {
    const stray = (() => {
      try {
        parseCommand(['--port', '1', 'extra'], spec, 'tributary thing [--port N]');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(stray).toBeInstanceOf(UsageError);
    expect((stray as UsageError).message).toBe('unexpected argument "extra"');
    expect((stray as UsageError).usage).toContain('usage: tributary thing [--port N]');
    expect(() => parseCommand(['--nope'], spec, 'u')).toThrow(/unknown option --nope/);
    expect(parseCommand(['kafka', '--port', '3'], spec, 'u', { maxPositionals: 1 })).toEqual({ flags: { port: 3 }, positionals: ['kafka'], helped: false });
  });
});
