import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES, RETRYABLE_DECODE_ERROR_CODES } from '../../../../src/adapters/schema-registry/decode-error-codes.js';

const README = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
const SOURCE_DIR = fileURLToPath(new URL('../../../../src/adapters/schema-registry/', import.meta.url));

/** The rows of the README's decoder table: the first cell's code, and the rest of the row. */
function decoderTable(): Map<string, string> {
  const start = README.indexOf('#### Decoder codes');
  expect(start, 'README has a "Decoder codes" section').toBeGreaterThan(-1);
  const rest = README.slice(start + 1);
  const section = rest.slice(0, rest.search(/\n#/));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\| `([a-z_]+)` \|(.*)\|\s*$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe('the decoder codes', () => {
  const codes = Object.values(DECODE_ERROR_CODES);

  it('are each documented in the README with a meaning and what to do, and the table lists no others', () => {
    const rows = decoderTable();
    expect([...rows.keys()].sort()).toEqual([...codes].sort());
    for (const [code, cells] of rows) {
      const [meaning, todo] = cells.split('|').map((cell) => cell.trim());
      expect(meaning, code).toBeTruthy();
      expect(todo, code).toBeTruthy();
    }
  });

  it('say in the README which of them wait instead of dead-lettering', () => {
    const rows = decoderTable();
    for (const code of codes) {
      expect(rows.get(code)?.trim().startsWith('waits:'), code).toBe(RETRYABLE_DECODE_ERROR_CODES.has(code));
    }
  });

  it('are the only codes the decoder source raises', () => {
    const files = readdirSync(SOURCE_DIR).filter((file) => file.endsWith('.ts'));
    expect(files).toContain('record-decoder.ts');
    for (const file of files) {
      const text = readFileSync(`${SOURCE_DIR}${file}`, 'utf8');
      // Errors and failures name their code through the constant, never as a string of their own.
      expect(text, file).not.toMatch(/new TributaryError\((?!CODES\.)/);
      expect(text, file).not.toMatch(/failure\((?!CODES\.|code: DecodeErrorCode)/);
      expect(text, file).not.toMatch(/code: '/);
    }
  });
});
