import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SchemaRegistrySandbox, startSchemaRegistry } from '../../../src/schema-registry/index.js';
import { request, userIdAsInt, userV1, userV2NoDefault, userV2WithDefault } from './http.js';

const asAvro = (schema: object): { type: SchemaType.AVRO; schema: string } => ({
  type: SchemaType.AVRO,
  schema: JSON.stringify(schema),
});
const SUBJECT = 'com.example.User';

describe('schema registry sandbox with the Confluent client', () => {
  let sandbox: SchemaRegistrySandbox;
  let registry: SchemaRegistry;

  beforeEach(async () => {
    sandbox = await startSchemaRegistry();
    // No retries: a 5xx from the sandbox should fail the test at once rather than be papered over.
    registry = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('listens on 127.0.0.1 on a free port and reports its url', () => {
    expect(sandbox.host).toBe('127.0.0.1');
    expect(sandbox.port).toBeGreaterThan(0);
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
  });

  it('registers a schema, encodes a message with it and decodes the message back', async () => {
    const { id } = await registry.register(asAvro(userV1));
    const encoded = await registry.encode(id, { id: 'u-1' });

    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    // A fresh client has nothing cached, so decoding must fetch the schema by id over HTTP.
    const fresh = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });
    expect(await fresh.decode(encoded)).toEqual({ id: 'u-1' });
  });

  it('hands out ids starting at 1', async () => {
    const { id } = await registry.register(asAvro(userV1));
    expect(id).toBe(1);
  });

  it('returns the same id when the identical schema is registered again', async () => {
    const first = await registry.register(asAvro(userV1));
    const second = await registry.register(asAvro(userV1));
    // Whitespace and key order do not make a schema different.
    const reordered = `{ "namespace": "com.example", "fields": [{"type": "string", "name": "id"}], "name": "User", "type": "record" }`;
    const third = await registry.register({ type: SchemaType.AVRO, schema: reordered });

    expect(second.id).toBe(first.id);
    expect(third.id).toBe(first.id);
    const versions = await request(sandbox.url, 'GET', `/subjects/${SUBJECT}/versions`);
    expect(versions.body).toEqual([1]);
  });

  it('reuses the id of an identical schema registered under another subject, as a new version there', async () => {
    const { id } = await registry.register(asAvro(userV1));
    const other = await registry.register(asAvro(userV1), { subject: 'users-value' });

    expect(other.id).toBe(id);
    const version = await request(sandbox.url, 'GET', '/subjects/users-value/versions/latest');
    expect(version.body).toMatchObject({ subject: 'users-value', version: 1, id });
  });

  it('accepts a backward-compatible evolution that adds a field with a default', async () => {
    const v1 = await registry.register(asAvro(userV1));
    const v2 = await registry.register(asAvro(userV2WithDefault));

    expect(v2.id).toBe(v1.id + 1);
    expect(await registry.getLatestSchemaId(SUBJECT)).toBe(v2.id);

    // Old messages still decode with the new schema as reader.
    const old = await registry.encode(v1.id, { id: 'u-1' });
    const decoded = await registry.decode(old, { [SchemaType.AVRO]: { readerSchema: userV2WithDefault } });
    expect(decoded).toEqual({ id: 'u-1', age: 0 });
  });

  it('rejects with 409 a new field without a default under BACKWARD', async () => {
    await registry.register(asAvro(userV1));
    await expect(registry.register(asAvro(userV2NoDefault))).rejects.toMatchObject({ status: 409 });
  });

  it('rejects with 409 a change of a field type', async () => {
    await registry.register(asAvro(userV1));
    await expect(registry.register(asAvro(userIdAsInt))).rejects.toMatchObject({ status: 409 });
  });

  it('stores the compatibility level the client asks for on first registration', async () => {
    await registry.register(asAvro(userV1), { compatibility: COMPATIBILITY.NONE });
    const config = await request(sandbox.url, 'GET', `/config/${SUBJECT}`);
    expect(config.body).toEqual({ compatibilityLevel: 'NONE' });

    // Under NONE the otherwise incompatible change goes through.
    const changed = await registry.register(asAvro(userIdAsInt), { compatibility: COMPATIBILITY.NONE });
    expect(changed.id).toBe(2);
  });

  it('finds the latest schema id of a subject', async () => {
    await registry.register(asAvro(userV1));
    const { id } = await registry.register(asAvro(userV2WithDefault));
    expect(await registry.getLatestSchemaId(SUBJECT)).toBe(id);
  });

  it('finds the id of a schema by its text under a subject', async () => {
    const { id } = await registry.register(asAvro(userV1));
    await registry.register(asAvro(userV2WithDefault));
    expect(await registry.getRegistryIdBySchema(SUBJECT, asAvro(userV1))).toBe(id);
  });

  it('reports a schema that is not registered under the subject as an error', async () => {
    await registry.register(asAvro(userV1));
    await expect(registry.getRegistryIdBySchema(SUBJECT, asAvro(userV2WithDefault))).rejects.toThrow(
      /Schema not found/,
    );
  });

  it('answers getRegistryId for a subject and version number', async () => {
    await registry.register(asAvro(userV1));
    const { id } = await registry.register(asAvro(userV2WithDefault));
    expect(await registry.getRegistryId(SUBJECT, 2)).toBe(id);
  });

  it('decodes a schema that references another subject by resolving the reference', async () => {
    const address = { type: 'record', name: 'Address', namespace: 'com.example', fields: [{ name: 'city', type: 'string' }] };
    const person = {
      type: 'record',
      name: 'Person',
      namespace: 'com.example',
      fields: [{ name: 'address', type: 'com.example.Address' }],
    };
    const addressReg = await registry.register(asAvro(address), { subject: 'address' });
    const registered = await request(sandbox.url, 'POST', '/subjects/person/versions', {
      schema: JSON.stringify(person),
      references: [{ name: 'com.example.Address', subject: 'address', version: 1 }],
    });
    expect(registered.status).toBe(200);
    expect(registered.body.id).toBe(addressReg.id + 1);

    const encoded = await registry.encode(registered.body.id, { address: { city: 'Lyon' } });
    const fresh = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });
    expect(await fresh.decode(encoded)).toEqual({ address: { city: 'Lyon' } });
  });
});
