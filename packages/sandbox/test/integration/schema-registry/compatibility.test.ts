import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchemaRegistrySandbox, startSchemaRegistry } from '../../../src/schema-registry/index.js';
import { avro, request, userIdAsInt, userV1, userV2NoDefault, userV2WithDefault, userWithoutId } from './http.js';

describe('schema registry sandbox compatibility checks', () => {
  let sandbox: SchemaRegistrySandbox;
  let subjectCount = 0;

  beforeAll(async () => {
    sandbox = await startSchemaRegistry();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  /** A fresh subject with its own level, holding `schemas` as versions 1..n. */
  async function subjectWith(level: string, ...schemas: object[]): Promise<string> {
    const subject = `compat-${++subjectCount}`;
    const config = await request(sandbox.url, 'PUT', `/config/${subject}`, { compatibility: level });
    expect(config.body).toEqual({ compatibility: level });
    for (const schema of schemas) {
      const res = await request(sandbox.url, 'POST', `/subjects/${subject}/versions`, avro(schema));
      expect(res.status).toBe(200);
    }
    return subject;
  }

  const register = (subject: string, schema: object) =>
    request(sandbox.url, 'POST', `/subjects/${subject}/versions`, avro(schema));

  const check = async (subject: string, schema: object, version = 'latest'): Promise<boolean> => {
    const res = await request(sandbox.url, 'POST', `/compatibility/subjects/${subject}/versions/${version}`, avro(schema));
    expect(res.status).toBe(200);
    return res.body.is_compatible;
  };

  it('accepts any change under NONE', async () => {
    const subject = await subjectWith('NONE', userV1);
    expect(await check(subject, userIdAsInt)).toBe(true);
    expect((await register(subject, userIdAsInt)).status).toBe(200);
  });

  it('under BACKWARD lets the new schema drop a field but not add one without a default', async () => {
    const subject = await subjectWith('BACKWARD', userV1);
    expect(await check(subject, userV2WithDefault)).toBe(true);
    expect(await check(subject, userWithoutId)).toBe(true);
    expect(await check(subject, userV2NoDefault)).toBe(false);
    expect(await check(subject, userIdAsInt)).toBe(false);
  });

  it('under FORWARD lets the new schema add a field without a default but not drop one old readers need', async () => {
    const subject = await subjectWith('FORWARD', userV1);
    expect(await check(subject, userV2NoDefault)).toBe(true);
    expect(await check(subject, userWithoutId)).toBe(false);
    expect((await register(subject, userV2NoDefault)).status).toBe(200);
    expect((await register(subject, userWithoutId)).status).toBe(409);
  });

  it('under FULL needs both directions, so only the field with a default passes', async () => {
    const subject = await subjectWith('FULL', userV1);
    expect(await check(subject, userV2WithDefault)).toBe(true);
    expect(await check(subject, userV2NoDefault)).toBe(false);
    expect(await check(subject, userWithoutId)).toBe(false);
  });

  it('under BACKWARD checks only the latest version, but BACKWARD_TRANSITIVE checks all of them', async () => {
    const v2 = { ...userV1, fields: [{ name: 'id', type: 'string' }, { name: 'tag', type: 'string', default: '' }] };
    const v3 = { ...userV1, fields: [{ name: 'tag', type: 'string' }] };
    // v3 reads v2 (tag present) but not v1 (tag missing, no default).
    const plain = await subjectWith('BACKWARD', userV1, v2);
    const transitive = await subjectWith('BACKWARD_TRANSITIVE', userV1, v2);

    // The endpoint's 'latest' follows the level like registration does; a number checks that version alone.
    expect(await check(transitive, v3)).toBe(false);
    expect(await check(transitive, v3, '2')).toBe(true);
    expect(await check(plain, v3)).toBe(true);

    expect((await register(plain, v3)).status).toBe(200);
    const refused = await register(transitive, v3);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error_code: 409 });
    expect(refused.body.message).toMatch(/version 1/);
  });

  it('under FORWARD_TRANSITIVE and FULL_TRANSITIVE also checks every earlier version', async () => {
    const v2 = { ...userV1, fields: [{ name: 'id', type: 'string', default: '' }] };
    const v3 = { ...userV1, fields: [{ name: 'other', type: 'string', default: '' }] };
    // v2 can read v3 data (id has a default there) but v1 cannot (id has no default).
    const forward = await subjectWith('FORWARD', userV1, v2);
    const forwardTransitive = await subjectWith('FORWARD_TRANSITIVE', userV1, v2);
    const fullTransitive = await subjectWith('FULL_TRANSITIVE', userV1, v2);

    expect((await register(forward, v3)).status).toBe(200);
    expect((await register(forwardTransitive, v3)).status).toBe(409);
    expect((await register(fullTransitive, v3)).status).toBe(409);
  });

  it('checks against one specific version when the compatibility endpoint names it', async () => {
    const v2 = { ...userV1, fields: [{ name: 'tag', type: 'string' }] };
    const subject = await subjectWith('NONE', userV1, v2);
    await request(sandbox.url, 'PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
    const needsTag = { ...userV1, fields: [{ name: 'tag', type: 'string' }, { name: 'n', type: 'int', default: 1 }] };

    expect(await check(subject, needsTag, '2')).toBe(true);
    expect(await check(subject, needsTag, '1')).toBe(false);
    expect(await check(subject, needsTag, 'latest')).toBe(true);
  });

  it('explains the failure when asked for verbose output', async () => {
    const subject = await subjectWith('BACKWARD', userV1);
    const res = await request(
      sandbox.url,
      'POST',
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      avro(userV2NoDefault),
    );
    expect(res.body.is_compatible).toBe(false);
    expect(res.body.messages).toHaveLength(1);
    expect(res.body.messages[0]).toMatch(/age/);
  });

  it('follows the global level for subjects without their own, and the subject level over the global one', async () => {
    try {
      expect((await request(sandbox.url, 'PUT', '/config', { compatibility: 'NONE' })).status).toBe(200);
      const subject = `compat-${++subjectCount}`;
      expect((await register(subject, userV1)).status).toBe(200);
      expect((await register(subject, userIdAsInt)).status).toBe(200);

      await request(sandbox.url, 'PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
      expect((await register(subject, userV1)).status).toBe(200); // already version 1: no check
      expect((await register(subject, userV2WithDefault)).status).toBe(409);
    } finally {
      await request(sandbox.url, 'PUT', '/config', { compatibility: 'BACKWARD' });
    }
  });

  it('answers the compatibility endpoint with 404 for an unknown subject or version', async () => {
    const subject = await subjectWith('BACKWARD', userV1);
    const noSubject = await request(sandbox.url, 'POST', '/compatibility/subjects/nope/versions/latest', avro(userV1));
    const noVersion = await request(sandbox.url, 'POST', `/compatibility/subjects/${subject}/versions/7`, avro(userV1));
    const badVersion = await request(sandbox.url, 'POST', `/compatibility/subjects/${subject}/versions/0`, avro(userV1));

    expect(noSubject).toMatchObject({ status: 404, body: { error_code: 40401 } });
    expect(noVersion).toMatchObject({ status: 404, body: { error_code: 40402 } });
    expect(badVersion).toMatchObject({ status: 422, body: { error_code: 42202 } });
  });

  it('does not check JSON and Protobuf schemas for compatibility', async () => {
    const subject = `compat-${++subjectCount}`;
    const first = { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', required: ['a'] }) };
    const second = { schemaType: 'JSON', schema: JSON.stringify({ type: 'string' }) };
    expect((await request(sandbox.url, 'POST', `/subjects/${subject}/versions`, first)).status).toBe(200);
    expect((await request(sandbox.url, 'POST', `/subjects/${subject}/versions`, second)).status).toBe(200);
  });
});
