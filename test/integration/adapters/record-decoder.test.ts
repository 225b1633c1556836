import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avsc from 'avsc';
import { request } from 'undici';
import { RecordDecoder } from '../../../src/adapters/schema-registry/record-decoder.js';
import { encodeAvro, publishSchemas, readTopicSchemas } from '../../../src/adapters/schema-registry/schema-publisher.js';
import { SCHEMAS_DIR } from '../../../src/cli/demo-stack.js';
import { startSchemaRegistry, type SchemaRegistrySandbox } from '@tributary/sandbox/schema-registry';
import type { RawRecord } from '../../../src/core/ports.js';

const record = (value: Buffer | null): RawRecord => ({ topic: 't', partition: 0, offset: '0', key: null, value, headers: {}, timestampMs: 0 });

let registry: SchemaRegistrySandbox | null = null;
let server: Server | null = null;

/** What the fake registry answers for a path (query left off): a status and a JSON body or raw text, or a cut connection. */
type FakeAnswer = { status: number; body?: unknown } | { status: number; raw: string } | 'cut';

/**
 * A registry that answers from a table and counts requests per path, for answers the sandbox never gives
 * (schemas it would refuse to register, references to versions that are gone, failures).
 */
async function fakeRegistry(answers: Record<string, FakeAnswer>): Promise<{ url: string; requests: Map<string, number> }> {
  const requests = new Map<string, number>();
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const answer = answers[path] ?? { status: 404, body: { error_code: 40403, message: 'Schema not found' } };
    if (answer === 'cut') {
      req.socket.destroy();
      return;
    }
    const text = 'raw' in answer ? answer.raw : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(text);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** Confluent wire format around an Avro body. */
function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

const total = (requests: Map<string, number>): number => [...requests.values()].reduce((a, b) => a + b, 0);
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
    // The wait is per schema id, not per record: the next records of that id are dead-lettered at once.
    for (let i = 0; i < 10; i++) expect(decoder.decode(record(unknown))).toMatchObject({ ok: false, code: 'unknown_schema_id' });
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

describe('RecordDecoder with schemas it cannot parse', () => {
  it('asks the registry once for a schema avsc cannot parse and dead-letters each of its records with invalid_schema', async () => {
    const fake = await fakeRegistry({
      '/schemas/ids/7': { status: 200, body: { schema: JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'no_such_type' }] }) } },
      '/schemas/ids/8': { status: 200, body: { schema: '{"type": "record", ' } },
    });
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    const value = framed(7, Buffer.from([2, 0x61]));
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => decoder.decode(record(value))));
    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await decoder.decode(record(value)));
    for (const result of [...concurrent, ...sequential]) {
      expect(result).toMatchObject({ ok: false, code: 'invalid_schema' });
      expect((result as { detail: string }).detail).toContain('schema id 7');
    }
    expect(fake.requests.get('/schemas/ids/7')).toBe(1);
    expect(total(fake.requests)).toBe(1);

    // Schema text that is not JSON at all: the same verdict, also asked for once.
    expect(await decoder.decode(record(framed(8, Buffer.from([0]))))).toMatchObject({ ok: false, code: 'invalid_schema' });
    expect(await decoder.decode(record(framed(8, Buffer.from([0]))))).toMatchObject({ ok: false, code: 'invalid_schema' });
    expect(fake.requests.get('/schemas/ids/8')).toBe(1);
  });

  it('waits, without caching anything, while the registry answers 200 with a body that is not JSON', async () => {
    const answers: Record<string, FakeAnswer> = { '/schemas/ids/9': { status: 200, raw: '<html>proxy error</html>' } };
    const fake = await fakeRegistry(answers);
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    const value = framed(9, Buffer.from([2, 0x61]));
    await expect(decoder.decode(record(value))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_error' });
    answers['/schemas/ids/9'] = { status: 200, body: { schema: '"string"' } };
    expect(await decoder.decode(record(value))).toEqual({ ok: true, format: 'avro', value: 'a' });
    expect(fake.requests.get('/schemas/ids/9')).toBe(2);
  });
});

describe('RecordDecoder with schema references', () => {
  const country = { type: 'record', name: 'Country', namespace: 'io.example', fields: [{ name: 'code', type: 'string' }] };
  const address = {
    type: 'record', name: 'Address', namespace: 'io.example',
    fields: [{ name: 'city', type: 'string' }, { name: 'country', type: 'io.example.Country' }],
  };
  const order = {
    type: 'record', name: 'Order', namespace: 'io.example',
    fields: [
      { name: 'order_id', type: 'string' },
      { name: 'ship_to', type: 'io.example.Address' },
      { name: 'bill_to', type: ['null', 'io.example.Address'], default: null },
      { name: 'props', type: { type: 'map', values: ['null', 'boolean', 'long', 'double', 'string'] }, default: {} },
    ],
  };
  const writerRegistry: Record<string, avsc.Type> = {};
  avsc.Type.forSchema(country as avsc.Schema, { registry: writerRegistry });
  avsc.Type.forSchema(address as avsc.Schema, { registry: writerRegistry });
  const orderType = avsc.Type.forSchema(order as avsc.Schema, { registry: writerRegistry, wrapUnions: 'auto' });
  const plainOrder = {
    order_id: 'o1',
    ship_to: { city: 'Lyon', country: { code: 'FR' } },
    bill_to: { city: 'Paris', country: { code: 'FR' } },
    props: { qty: 2, price: 9.5, note: 'x', gift: false, none: null },
  };
  const orderBody = (): Buffer => orderType.toBuffer({ ...plainOrder, props: { qty: { long: 2 }, price: { double: 9.5 }, note: { string: 'x' }, gift: { boolean: false }, none: null } });

  it('resolves references recursively through the sandbox registry and decodes to plain values', async () => {
    const lines: string[] = [];
    registry = await startSchemaRegistry({ log: (line) => lines.push(line) });
    const register = async (subject: string, schema: object, references: object[] = []): Promise<number> => {
      const res = await request(`${registry!.url}/subjects/${subject}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: JSON.stringify(schema), references }),
      });
      const body = (await res.body.json()) as { id: number };
      expect(res.statusCode).toBe(200);
      return body.id;
    };
    await register('io.example.Country', country);
    await register('io.example.Address', address, [{ name: 'io.example.Country', subject: 'io.example.Country', version: 1 }]);
    const id = await register('orders-value', order, [{ name: 'io.example.Address', subject: 'io.example.Address', version: 1 }]);
    lines.length = 0;

    const decoder = new RecordDecoder({ registryUrl: registry.url });
    expect(await decoder.decode(record(framed(id, orderBody())))).toEqual({ ok: true, format: 'avro', value: plainOrder });
    expect(decoder.decode(record(framed(id, orderBody())))).toEqual({ ok: true, format: 'avro', value: plainOrder });
    expect(lines.filter((line) => line.startsWith('schema-registry: GET')).map((line) => line.replace(/ 200$/, ''))).toEqual([
      `schema-registry: GET /schemas/ids/${id}`,
      'schema-registry: GET /subjects/io.example.Address/versions/1?deleted=true',
      'schema-registry: GET /subjects/io.example.Country/versions/1?deleted=true',
    ]);
  });

  it('fetches a reference shared by several schemas, or reached twice in one, only once', async () => {
    const version = (schema: object, references: object[] = []) => ({ status: 200, body: { subject: 's', version: 1, id: 90, schema: JSON.stringify(schema), references } });
    const countryRef = { name: 'io.example.Country', subject: 'country', version: 1 };
    const addressRef = { name: 'io.example.Address', subject: 'address', version: 3 };
    const fake = await fakeRegistry({
      '/schemas/ids/1': { status: 200, body: { schema: JSON.stringify(order), references: [countryRef, addressRef] } },
      '/schemas/ids/2': { status: 200, body: { schema: JSON.stringify(order), references: [addressRef] } },
      '/subjects/country/versions/1': version(country),
      '/subjects/address/versions/3': version(address, [countryRef]),
    });
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    expect(await decoder.decode(record(framed(1, orderBody())))).toEqual({ ok: true, format: 'avro', value: plainOrder });
    expect(await decoder.decode(record(framed(2, orderBody())))).toEqual({ ok: true, format: 'avro', value: plainOrder });
    expect(Object.fromEntries(fake.requests)).toEqual({
      '/schemas/ids/1': 1, '/schemas/ids/2': 1, '/subjects/country/versions/1': 1, '/subjects/address/versions/3': 1,
    });
  });

  it('dead-letters with schema_reference_not_found when a reference is not in the registry, asking again only after a while', async () => {
    let now = 1_000_000;
    const fake = await fakeRegistry({
      '/schemas/ids/3': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'io.example.Address', subject: 'gone', version: 2 }] } },
    });
    const decoder = new RecordDecoder({ registryUrl: fake.url, now: () => now });
    for (let i = 0; i < 4; i++) {
      const result = await decoder.decode(record(framed(3, orderBody())));
      expect(result).toMatchObject({ ok: false, code: 'schema_reference_not_found' });
      expect((result as { detail: string }).detail).toContain('subject gone, version 2');
    }
    expect(Object.fromEntries(fake.requests)).toEqual({ '/schemas/ids/3': 1, '/subjects/gone/versions/2': 1 });
    now += 61_000;
    expect(await decoder.decode(record(framed(3, orderBody())))).toMatchObject({ ok: false, code: 'schema_reference_not_found' });
    expect(Object.fromEntries(fake.requests)).toEqual({ '/schemas/ids/3': 2, '/subjects/gone/versions/2': 2 });
  });

  it('dead-letters with invalid_schema a reference that is not Avro or does not parse, and a malformed reference list', async () => {
    const fake = await fakeRegistry({
      '/schemas/ids/4': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'p', subject: 'proto', version: 1 }] } },
      '/subjects/proto/versions/1': { status: 200, body: { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' } },
      '/schemas/ids/5': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'io.example.Address', subject: 'broken', version: 1 }] } },
      '/subjects/broken/versions/1': { status: 200, body: { schema: '{"type": "record", "name": "Address"' } },
      '/schemas/ids/6': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'io.example.Address' }] } },
      // A cycle is cut; the parse then misses a name and says so.
      '/schemas/ids/10': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'io.example.Address', subject: 'loop', version: 1 }] } },
      '/subjects/loop/versions/1': { status: 200, body: { schema: JSON.stringify(address), references: [{ name: 'io.example.Address', subject: 'loop', version: 1 }] } },
    });
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    for (const id of [4, 5, 6, 10]) {
      expect(await decoder.decode(record(framed(id, orderBody()))), `schema id ${id}`).toMatchObject({ ok: false, code: 'invalid_schema' });
      expect(await decoder.decode(record(framed(id, orderBody()))), `schema id ${id}`).toMatchObject({ ok: false, code: 'invalid_schema' });
    }
    expect(fake.requests.get('/subjects/loop/versions/1')).toBe(1);
    expect(total(fake.requests)).toBe(7);
  });

  it('waits while a reference cannot be fetched, then decodes once the registry answers', async () => {
    const answers: Record<string, FakeAnswer> = {
      '/schemas/ids/11': { status: 200, body: { schema: JSON.stringify(order), references: [{ name: 'io.example.Address', subject: 'address', version: 1 }] } },
      '/subjects/address/versions/1': { status: 503, body: { error_code: 50003, message: 'unavailable' } },
      '/subjects/country/versions/1': { status: 200, body: { schema: JSON.stringify(country) } },
    };
    const fake = await fakeRegistry(answers);
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    const value = framed(11, orderBody());
    await expect(decoder.decode(record(value))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_error' });
    answers['/subjects/address/versions/1'] = 'cut';
    await expect(decoder.decode(record(value))).rejects.toMatchObject({ retryable: true, code: 'schema_registry_unreachable' });
    answers['/subjects/address/versions/1'] = { status: 200, body: { schema: JSON.stringify(address), references: [{ name: 'io.example.Country', subject: 'country', version: 1 }] } };
    expect(await decoder.decode(record(value))).toEqual({ ok: true, format: 'avro', value: plainOrder });
    expect(fake.requests.get('/subjects/address/versions/1')).toBe(3);
    expect(fake.requests.get('/schemas/ids/11')).toBe(3);
  });
});

describe('RecordDecoder with JSON values', () => {
  it('unwraps Avro-JSON union branches, so JSON records reach the mappers as plain as Avro ones', async () => {
    const json = { name: 'viewed', external_id: { string: 'u1' }, braze_id: null, timestamp: { long: 1_700_000_000_000 }, properties: { qty: { long: 2 }, sku: 'S1' } };
    const plain = { name: 'viewed', external_id: 'u1', braze_id: null, timestamp: 1_700_000_000_000, properties: { qty: 2, sku: 'S1' } };
    expect(new RecordDecoder({ registryUrl: null }).decode(record(Buffer.from(JSON.stringify(json))))).toEqual({ ok: true, format: 'json', value: plain });
    // The same for JSON framed with a JSON-schema id.
    const fake = await fakeRegistry({ '/schemas/ids/12': { status: 200, body: { schemaType: 'JSON', schema: '{"type": "object"}' } } });
    const decoder = new RecordDecoder({ registryUrl: fake.url });
    expect(await decoder.decode(record(framed(12, Buffer.from(JSON.stringify(json)))))).toEqual({ ok: true, format: 'json', value: plain });
  });
});
