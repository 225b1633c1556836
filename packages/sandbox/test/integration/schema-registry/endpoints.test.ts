import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SchemaRegistrySandbox, startSchemaRegistry } from '../../../src/schema-registry/index.js';
import { avro, request, userV1, userV2WithDefault } from './http.js';

describe('schema registry sandbox endpoints', () => {
  let sandbox: SchemaRegistrySandbox;
  const call = (method: string, path: string, body?: unknown) => request(sandbox.url, method, path, body);

  beforeEach(async () => {
    sandbox = await startSchemaRegistry();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe('config', () => {
    it('reads and writes the global compatibility level', async () => {
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
      expect((await call('PUT', '/config', { compatibility: 'full_transitive' })).body).toEqual({
        compatibility: 'FULL_TRANSITIVE',
      });
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
      expect((await call('DELETE', '/config')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    });

    it('answers 404 with 40408 for a subject without its own level, even though a global level exists', async () => {
      await call('POST', '/subjects/orders/versions', avro(userV1));
      const res = await call('GET', '/config/orders');
      expect(res).toMatchObject({ status: 404, body: { error_code: 40408 } });
      expect(res.body.message).toEqual(expect.any(String));
    });

    it('falls back to the global level only when asked with defaultToGlobal', async () => {
      const res = await call('GET', '/config/orders?defaultToGlobal=true');
      expect(res).toMatchObject({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });
    });

    it('reads, writes and deletes a subject level', async () => {
      expect((await call('PUT', '/config/orders', { compatibility: 'FORWARD' })).body).toEqual({ compatibility: 'FORWARD' });
      expect((await call('GET', '/config/orders')).body).toEqual({ compatibilityLevel: 'FORWARD' });
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
      expect((await call('DELETE', '/config/orders')).body).toEqual({ compatibilityLevel: 'FORWARD' });
      expect((await call('GET', '/config/orders')).status).toBe(404);
      expect((await call('DELETE', '/config/orders')).body).toMatchObject({ error_code: 40408 });
    });

    it('rejects an unknown compatibility level with 422 and 42203', async () => {
      const global = await call('PUT', '/config', { compatibility: 'SIDEWAYS' });
      const subject = await call('PUT', '/config/orders', {});
      expect(global).toMatchObject({ status: 422, body: { error_code: 42203 } });
      expect(subject).toMatchObject({ status: 422, body: { error_code: 42203 } });
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    });
  });

  describe('subjects and versions', () => {
    it('lists subjects in name order and the versions of each', async () => {
      await call('POST', '/subjects/b-value/versions', avro(userV1));
      await call('POST', '/subjects/a-value/versions', avro(userV1));
      await call('POST', '/subjects/a-value/versions', avro(userV2WithDefault));

      expect((await call('GET', '/subjects')).body).toEqual(['a-value', 'b-value']);
      expect((await call('GET', '/subjects?subjectPrefix=b-')).body).toEqual(['b-value']);
      expect((await call('GET', '/subjects/a-value/versions')).body).toEqual([1, 2]);
    });

    it('returns a version with its subject, number, id and schema text', async () => {
      const text = JSON.stringify(userV1);
      await call('POST', '/subjects/users/versions', { schema: text });
      const expected = { subject: 'users', version: 1, id: 1, schema: text };

      expect((await call('GET', '/subjects/users/versions/1')).body).toEqual(expected);
      expect((await call('GET', '/subjects/users/versions/latest')).body).toEqual(expected);
      expect((await call('GET', '/subjects/users/versions/-1')).body).toEqual(expected);
      expect((await call('GET', '/subjects/users/versions/1/schema')).body).toEqual(userV1);
    });

    it('looks a schema up under a subject', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));
      await call('POST', '/subjects/users/versions', avro(userV2WithDefault));

      const found = await call('POST', '/subjects/users', avro(userV2WithDefault));
      expect(found.body).toEqual({ subject: 'users', version: 2, id: 2, schema: JSON.stringify(userV2WithDefault) });

      const other = { ...userV1, name: 'Other' };
      expect(await call('POST', '/subjects/users', avro(other))).toMatchObject({ status: 404, body: { error_code: 40403 } });
      expect(await call('POST', '/subjects/nobody', avro(userV1))).toMatchObject({ status: 404, body: { error_code: 40401 } });
    });

    it('deletes a subject, returns its versions and keeps its schema ids resolvable', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));
      await call('POST', '/subjects/users/versions', avro(userV2WithDefault));
      await call('PUT', '/config/users', { compatibility: 'NONE' });

      expect((await call('DELETE', '/subjects/users')).body).toEqual([1, 2]);
      expect((await call('GET', '/subjects')).body).toEqual([]);
      expect(await call('GET', '/subjects/users/versions')).toMatchObject({ status: 404, body: { error_code: 40401 } });
      expect((await call('GET', '/config/users')).status).toBe(404);
      expect((await call('GET', '/schemas/ids/2')).status).toBe(200);

      // Registering the same schema again gets its old id back, as version 1 of a fresh subject.
      expect((await call('POST', '/subjects/users/versions', avro(userV2WithDefault))).body).toEqual({ id: 2 });
      expect((await call('GET', '/subjects/users/versions')).body).toEqual([1]);
    });

    it('deletes a single version without reusing its number', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));
      await call('POST', '/subjects/users/versions', avro(userV2WithDefault));

      expect((await call('DELETE', '/subjects/users/versions/latest')).body).toBe(2);
      expect((await call('GET', '/subjects/users/versions')).body).toEqual([1]);
      await call('POST', '/subjects/users/versions', avro(userV2WithDefault));
      expect((await call('GET', '/subjects/users/versions')).body).toEqual([1, 3]);
    });

    it('answers unknown subjects, versions and schema ids with the Confluent error codes', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));

      expect(await call('GET', '/subjects/nobody/versions/1')).toMatchObject({ status: 404, body: { error_code: 40401 } });
      expect(await call('GET', '/subjects/users/versions/9')).toMatchObject({ status: 404, body: { error_code: 40402 } });
      expect(await call('GET', '/subjects/users/versions/zero')).toMatchObject({ status: 422, body: { error_code: 42202 } });
      expect(await call('GET', '/subjects/users/versions/0')).toMatchObject({ status: 422, body: { error_code: 42202 } });
      expect(await call('GET', '/schemas/ids/42')).toMatchObject({ status: 404, body: { error_code: 40403 } });
      expect(await call('DELETE', '/subjects/nobody')).toMatchObject({ status: 404, body: { error_code: 40401 } });
    });

    it('refuses to delete a version that another schema references', async () => {
      const address = { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] };
      await call('POST', '/subjects/address/versions', avro(address));
      const person = { type: 'record', name: 'Person', fields: [{ name: 'home', type: 'Address' }] };
      const reg = await call('POST', '/subjects/person/versions', {
        ...avro(person),
        references: [{ name: 'Address', subject: 'address', version: 1 }],
      });
      expect(reg.body).toEqual({ id: 2 });
      expect((await call('GET', '/subjects/address/versions/1/referencedby')).body).toEqual([2]);
      expect((await call('GET', '/subjects/person/versions/1')).body.references).toEqual([
        { name: 'Address', subject: 'address', version: 1 },
      ]);

      expect(await call('DELETE', '/subjects/address')).toMatchObject({ status: 422, body: { error_code: 42206 } });
      expect((await call('DELETE', '/subjects/person')).status).toBe(200);
      expect((await call('DELETE', '/subjects/address')).body).toEqual([1]);
    });
  });

  describe('schemas', () => {
    it('returns a schema by id, leaving schemaType out for Avro', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));
      const res = await call('GET', '/schemas/ids/1');
      expect(res.body).toEqual({ schema: JSON.stringify(userV1) });
    });

    it('lists the subjects and versions that use a schema id', async () => {
      await call('POST', '/subjects/users/versions', avro(userV1));
      await call('POST', '/subjects/people/versions', avro(userV2WithDefault));
      await call('POST', '/subjects/people/versions', avro(userV1));

      expect((await call('GET', '/schemas/ids/1/subjects')).body).toEqual(['people', 'users']);
      expect((await call('GET', '/schemas/ids/1/versions')).body).toEqual([
        { subject: 'people', version: 2 },
        { subject: 'users', version: 1 },
      ]);
    });

    it('lists the supported schema types', async () => {
      expect((await call('GET', '/schemas/types')).body).toEqual(['AVRO', 'JSON', 'PROTOBUF']);
    });

    it('stores JSON and Protobuf schemas as text and gives identical ones the same id', async () => {
      const proto = 'syntax = "proto3";\nmessage Click { string id = 1; }\n';
      const json = { schemaType: 'JSON', schema: '{"type":"object","properties":{"a":{"type":"string"}}}' };
      const jsonReordered = { schemaType: 'JSON', schema: '{ "properties": {"a": {"type": "string"}}, "type": "object" }' };

      expect((await call('POST', '/subjects/clicks/versions', { schemaType: 'PROTOBUF', schema: proto })).body).toEqual({ id: 1 });
      expect((await call('POST', '/subjects/forms/versions', json)).body).toEqual({ id: 2 });
      expect((await call('POST', '/subjects/forms/versions', jsonReordered)).body).toEqual({ id: 2 });
      expect((await call('GET', '/schemas/ids/1')).body).toEqual({ schemaType: 'PROTOBUF', schema: proto });
      expect((await call('GET', '/subjects/forms/versions/latest')).body).toMatchObject({ schemaType: 'JSON', id: 2 });
      expect((await call('GET', '/schemas/ids/1/schema')).body).toBe(proto);
    });

    it('treats Avro spellings of the same schema as identical but keeps attributes like logicalType apart', async () => {
      const ids = async (subject: string, ...schemas: string[]) => {
        const result: number[] = [];
        for (const schema of schemas) result.push((await call('POST', `/subjects/${subject}/versions`, { schema })).body.id);
        return result;
      };
      await call('PUT', '/config', { compatibility: 'NONE' });
      expect(await ids('a', '"long"', '{"type": "long"}', ' { "type" : "long" } ')).toEqual([1, 1, 1]);
      expect(await ids('b', '{"type": "long", "logicalType": "timestamp-millis"}')).toEqual([2]);
      // An object default is data: it must not be collapsed like a {"type": ...} wrapper.
      const withDefault = (d: unknown) =>
        JSON.stringify({
          type: 'record',
          name: 'R',
          fields: [{ name: 'm', type: { type: 'map', values: 'string' }, default: d }],
        });
      expect(await ids('c', withDefault({ type: 'x' }), withDefault({}))).toEqual([3, 4]);
    });

    it('gives the same Avro schema with a different schema type its own id', async () => {
      const text = JSON.stringify({ type: 'string' });
      expect((await call('POST', '/subjects/a/versions', { schema: text })).body).toEqual({ id: 1 });
      expect((await call('POST', '/subjects/b/versions', { schema: text, schemaType: 'JSON' })).body).toEqual({ id: 2 });
    });

    it('rejects invalid schemas with 422 and 42201', async () => {
      const cases: unknown[] = [
        { schema: '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}' },
        { schema: '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "int", "default": "x"}]}' },
        { schema: 'not json at all' },
        { schema: '' },
        {},
        { schema: '"string"', schemaType: 'XML' },
        { schema: '"string"', references: [{ name: 'X', subject: 'missing', version: 1 }] },
        { schema: '"string"', references: 'nope' },
        { schemaType: 'JSON', schema: '[1, 2' },
      ];
      for (const body of cases) {
        const res = await call('POST', '/subjects/bad/versions', body);
        expect(res, JSON.stringify(body)).toMatchObject({ status: 422, body: { error_code: 42201 } });
        expect(res.body.message).toMatch(/Invalid schema/);
      }
      expect((await call('GET', '/subjects')).body).toEqual([]);
      // A rejected schema does not consume an id.
      expect((await call('POST', '/subjects/good/versions', avro(userV1))).body).toEqual({ id: 1 });
    });
  });
});
