import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RecordDecoder } from '../../../src/adapters/schema-registry/record-decoder.js';
import { encodeAvro, publishSchemas, readTopicSchemas } from '../../../src/adapters/schema-registry/schema-publisher.js';
import { SCHEMAS_DIR } from '../../../src/cli/demo-stack.js';
import { startSchemaRegistry, type SchemaRegistrySandbox } from '../../../src/sandbox/schema-registry/index.js';
import type { DecodedRecord } from '../../../src/core/ports.js';

const record = (value: Buffer | null): DecodedRecord => ({ topic: 't', partition: 0, offset: '0', key: null, value, headers: {}, timestampMs: 0 });

let registry: SchemaRegistrySandbox | null = null;
let server: Server | null = null;
afterEach(async () => {
  await registry?.close();
  registry = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

describe('RecordDecoder', () => {
  it('decodes Confluent Avro through the registry into plain values, props unwrapped', async () => {
    registry = await startSchemaRegistry();
    const schemas = await publishSchemas(registry.url, readTopicSchemas(SCHEMAS_DIR));
    const events = schemas.get('actioniq.events')!;
    const plain = { name: 'product_viewed', external_id: 'u1', braze_id: null, timestamp: 1_700_000_000_000, properties: { sku: 'S1', price: 9.5, qty: 2, gift: false, note: null } };
    const decoder = new RecordDecoder({ registryUrl: registry.url });
    const result = await decoder.decode(record(encodeAvro(events, plain)));
    expect(result).toEqual({ ok: true, format: 'avro', value: plain });
    // The schema is cached: the second decode answers synchronously.
    expect(decoder.decode(record(encodeAvro(events, plain)))).toEqual({ ok: true, format: 'avro', value: plain });
  });

  it('reads a JSON object and rejects anything else with a reason', async () => {
    const decoder = new RecordDecoder({ registryUrl: null });
    expect(decoder.decode(record(Buffer.from(' {"a":1}')))).toEqual({ ok: true, format: 'json', value: { a: 1 } });
    expect(decoder.decode(record(Buffer.from('[1,2]')))).toMatchObject({ ok: false, code: 'unknown_format' });
    expect(decoder.decode(record(Buffer.from('{"a":')))).toMatchObject({ ok: false, code: 'invalid_json' });
    const broken = decoder.decode(record(Buffer.from('{"email": alice@example.com}'))) as { detail: string };
    expect(broken.detail).not.toContain('alice');
    expect(decoder.decode(record(Buffer.from([0xc3, 0x28])))).toMatchObject({ ok: false, code: 'unknown_format' });
    expect(decoder.decode(record(null))).toMatchObject({ ok: false, code: 'empty_value' });
    expect(decoder.decode(record(Buffer.from([0, 0, 0])))).toMatchObject({ ok: false, code: 'invalid_wire_format' });
  });

  it('asks again for an unknown schema id for a grace period, then dead-letters it; a value that does not match its schema is dead-lettered', async () => {
    registry = await startSchemaRegistry();
    const schemas = await publishSchemas(registry.url, readTopicSchemas(SCHEMAS_DIR));
    let now = 1_000_000;
    const decoder = new RecordDecoder({ registryUrl: registry.url, now: () => now });
    const unknown = Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]);
    await expect(decoder.decode(record(unknown))).rejects.toMatchObject({ retryable: true, code: 'schema_id_not_found_yet' });
    now += 6_000;
    expect(await decoder.decode(record(unknown))).toMatchObject({ ok: false, code: 'unknown_schema_id' });
    const good = encodeAvro(schemas.get('actioniq.events')!, { name: 'x', timestamp: 1, properties: {} });
    expect(await decoder.decode(record(good.subarray(0, good.length - 3)))).toMatchObject({ ok: false, code: 'avro_decode_failed' });
    expect(await decoder.decode(record(Buffer.concat([good, Buffer.from([1, 2])])))).toMatchObject({ ok: false, code: 'avro_decode_failed' });
  });

  it('throws a retryable error while the registry is unreachable, so the record waits instead of being dropped', async () => {
    let status = 503;
    server = createServer((_req, res) => res.writeHead(status).end('{}'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const avro = Buffer.from([0, 0, 0, 0, 1, 0]);
    await expect(new RecordDecoder({ registryUrl: url }).decode(record(avro))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_error' });
    status = 401; // expired registry credentials are not the record's fault either
    await expect(new RecordDecoder({ registryUrl: url }).decode(record(avro))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_error' });
    await expect(new RecordDecoder({ registryUrl: 'http://127.0.0.1:1' }).decode(record(avro))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_unreachable' });
    await expect(new RecordDecoder({ registryUrl: null }).decode(record(avro))).rejects.toMatchObject({ retryable: false, code: 'schema_registry_disabled' });
  });
});
