import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SchemaRegistrySandbox, startSchemaRegistry } from '../../../src/schema-registry/index.js';
import { avro, request, userIdAsInt, userV1, userV2WithDefault } from './http.js';

describe('schema registry sandbox over HTTP', () => {
  let sandbox: SchemaRegistrySandbox;
  let lines: string[];

  beforeEach(async () => {
    lines = [];
    sandbox = await startSchemaRegistry({ log: (line) => lines.push(line) });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('answers with the schema registry content type', async () => {
    const res = await request(sandbox.url, 'GET', '/config');
    expect(res.contentType).toBe('application/vnd.schemaregistry.v1+json');
    const error = await request(sandbox.url, 'GET', '/schemas/ids/1');
    expect(error.contentType).toBe('application/vnd.schemaregistry.v1+json');
  });

  it('accepts bodies sent as application/json, as the registry type, or without a content type', async () => {
    for (const contentType of ['application/json', 'application/vnd.schemaregistry.v1+json; charset=utf-8', null]) {
      const res = await request(sandbox.url, 'POST', '/subjects/users/versions', avro(userV1), { contentType });
      expect(res.body).toEqual({ id: 1 });
    }
  });

  it('refuses a body of another content type with 415', async () => {
    const res = await request(sandbox.url, 'POST', '/subjects/users/versions', avro(userV1), { contentType: 'text/plain' });
    expect(res).toMatchObject({ status: 415, body: { error_code: 415 } });
  });

  it('answers malformed JSON with 400 and an error body, and keeps serving', async () => {
    const res = await request(sandbox.url, 'POST', '/subjects/users/versions', undefined, { rawBody: '{"schema": ' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_code: 400, message: expect.stringMatching(/Malformed JSON/) });

    const notAnObject = await request(sandbox.url, 'PUT', '/config', undefined, { rawBody: '["FULL"]' });
    expect(notAnObject).toMatchObject({ status: 400, body: { error_code: 400 } });

    expect((await request(sandbox.url, 'POST', '/subjects/users/versions', avro(userV1))).body).toEqual({ id: 1 });
  });

  it('answers a body over 16 MiB with 413 and keeps serving', async () => {
    const huge = JSON.stringify({ schema: 'x'.repeat(16 * 1024 * 1024) });
    const res = await request(sandbox.url, 'POST', '/subjects/users/versions', undefined, { rawBody: huge });
    expect(res).toMatchObject({ status: 413, body: { error_code: 413 } });
    expect((await request(sandbox.url, 'GET', '/subjects')).body).toEqual([]);
  });

  it('answers unknown paths with 404 and known paths with the wrong method with 405', async () => {
    expect(await request(sandbox.url, 'GET', '/nowhere')).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await request(sandbox.url, 'PATCH', '/config')).toMatchObject({ status: 405, body: { error_code: 405 } });
    expect(await request(sandbox.url, 'GET', '/subjects/%E0%A4%A/versions')).toMatchObject({ status: 404 });
  });

  it('decodes percent-encoded subject names', async () => {
    await request(sandbox.url, 'POST', `/subjects/${encodeURIComponent('team/users value')}/versions`, avro(userV1));
    expect((await request(sandbox.url, 'GET', '/subjects')).body).toEqual(['team/users value']);
  });

  it('serves a client that registers the same schema from many requests at once', async () => {
    const registry = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) })),
    );
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([1]));
  });

  it('logs one line per request through the log option', async () => {
    await request(sandbox.url, 'GET', '/subjects');
    expect(lines.some((line) => line.includes('GET /subjects 200'))).toBe(true);
  });

  it('closes even while a client holds a keep-alive connection, and can be closed twice', async () => {
    const agentRes = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${sandbox.url}/subjects`, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(agentRes).toBe(200);
    await sandbox.close();
    await sandbox.close();
  });
});

describe('schema registry sandbox persistence', () => {
  let dataDir: string;
  let sandbox: SchemaRegistrySandbox | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-schema-registry-'));
  });

  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps schemas, ids, versions and config across a restart with the same data dir', async () => {
    sandbox = await startSchemaRegistry({ dataDir });
    let registry = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });
    const v1 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) });
    const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2WithDefault) });
    await request(sandbox.url, 'PUT', '/config', { compatibility: 'FULL' });
    const encoded = await registry.encode(v2.id, { id: 'u-1', age: 7 });
    await sandbox.close();

    sandbox = await startSchemaRegistry({ dataDir });
    registry = new SchemaRegistry({ host: sandbox.url, retry: { retries: 0 } });

    expect(await registry.decode(encoded)).toEqual({ id: 'u-1', age: 7 });
    expect(await registry.getLatestSchemaId('com.example.User')).toBe(v2.id);
    expect((await request(sandbox.url, 'GET', '/subjects/com.example.User/versions')).body).toEqual([1, 2]);
    expect((await request(sandbox.url, 'GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await request(sandbox.url, 'GET', '/config/com.example.User')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    // The restarted registry still enforces compatibility against the stored versions...
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userIdAsInt) }),
    ).rejects.toMatchObject({ status: 409 });
    // ...and continues the id sequence instead of reusing ids.
    const other = await request(sandbox.url, 'POST', '/subjects/other/versions', avro({ type: 'string' }));
    expect(other.body).toEqual({ id: v1.id + 2 });
  });

  it('writes the state file atomically, leaving no temporary files behind', async () => {
    sandbox = await startSchemaRegistry({ dataDir });
    await request(sandbox.url, 'POST', '/subjects/users/versions', avro(userV1));
    expect(readdirSync(dataDir)).toEqual(['schema-registry.json']);
    const saved = JSON.parse(readFileSync(join(dataDir, 'schema-registry.json'), 'utf8'));
    expect(saved.schemas).toEqual([{ id: 1, schemaType: 'AVRO', schema: JSON.stringify(userV1), references: [] }]);
  });

  it('refuses to start on a damaged state file rather than overwrite it', async () => {
    writeFileSync(join(dataDir, 'schema-registry.json'), '{"format": 1, "schemas": [');
    await expect(startSchemaRegistry({ dataDir })).rejects.toThrow(/schema-registry\.json/);
    expect(readFileSync(join(dataDir, 'schema-registry.json'), 'utf8')).toBe('{"format": 1, "schemas": [');
  });

  it('keeps state in memory only when no data dir is given', async () => {
    sandbox = await startSchemaRegistry();
    await request(sandbox.url, 'POST', '/subjects/users/versions', avro(userV1));
    await sandbox.close();
    sandbox = await startSchemaRegistry();
    expect((await request(sandbox.url, 'GET', '/subjects')).body).toEqual([]);
  });
});
