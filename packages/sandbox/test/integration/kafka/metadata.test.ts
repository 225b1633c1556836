import { afterEach, describe, expect, it } from 'vitest';
import { type Reader, Writer } from '../../../src/kafka/codec.js';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ApiKey } from '../../../src/kafka/protocol.js';
import { uniqueName } from './helpers.js';
import { RawClient } from './raw-client.js';

interface MetadataV4 {
  brokers: { nodeId: number; host: string; port: number }[];
  controllerId: number;
  topics: { errorCode: number; name: string; partitions: { errorCode: number; partition: number; leader: number }[] }[];
}

function readMetadataV4(r: Reader): MetadataV4 {
  r.int32(); // throttle
  const brokers = r.array((x) => {
    const b = { nodeId: x.int32(), host: x.string(), port: x.int32() };
    x.nullableString(); // rack
    return b;
  });
  r.nullableString(); // cluster id
  const controllerId = r.int32();
  const topics = r.array((x) => {
    const errorCode = x.int16();
    const name = x.string();
    x.bool();
    const partitions = x.array((y) => {
      const p = { errorCode: y.int16(), partition: y.int32(), leader: y.int32() };
      y.array((z) => z.int32());
      y.array((z) => z.int32());
      return p;
    });
    return { errorCode, name, partitions };
  });
  return { brokers, controllerId, topics };
}

function metadataV4(topics: string[] | null, allowAutoCreate: boolean): Buffer {
  const w = new Writer();
  if (topics === null) w.int32(-1);
  else w.array(topics, (x, t) => x.string(t));
  return w.bool(allowAutoCreate).toBuffer();
}

describe('kafka sandbox metadata', () => {
  const opened: { sandbox: KafkaSandbox; clients: RawClient[] }[] = [];

  afterEach(async () => {
    for (const { sandbox, clients } of opened.splice(0)) {
      for (const c of clients) c.close();
      await sandbox.close();
    }
  });

  async function start(options: Parameters<typeof startKafkaSandbox>[0]): Promise<{ sandbox: KafkaSandbox; client: RawClient }> {
    const sandbox = await startKafkaSandbox(options);
    const client = await RawClient.connect(sandbox.port);
    opened.push({ sandbox, clients: [client] });
    return { sandbox, client };
  }

  it('advertises itself as the only broker and the controller, at the bound port', async () => {
    const { sandbox, client } = await start({});
    const md = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4([], true)));
    expect(md.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: sandbox.port }]);
    expect(md.controllerId).toBe(0);
    expect(md.topics).toEqual([]); // an empty list asks for no topics
    expect(sandbox.brokers).toEqual([`127.0.0.1:${sandbox.port}`]);
  });

  it('creates a topic only when both the broker and the request allow it', async () => {
    const { client } = await start({ partitions: 5 });
    const topic = uniqueName('auto');
    const refused = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4([topic], false)));
    expect(refused.topics).toEqual([{ errorCode: 3, name: topic, partitions: [] }]);

    const created = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4([topic], true)));
    expect(created.topics[0].errorCode).toBe(0);
    expect(created.topics[0].partitions).toEqual([0, 1, 2, 3, 4].map((p) => ({ errorCode: 0, partition: p, leader: 0 })));

    const all = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4(null, false)));
    expect(all.topics.map((t) => t.name)).toEqual([topic]);
  });

  it('never auto-creates when the broker is told not to', async () => {
    const { client } = await start({ autoCreate: false });
    const topic = uniqueName('manual');
    const md = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4([topic, 'bad/name'], true)));
    expect(md.topics.map((t) => [t.name, t.errorCode])).toEqual([[topic, 3], ['bad/name', 17]]);
  });

  it('answers Metadata v0 with every topic for an empty list', async () => {
    const { client } = await start({});
    const topic = uniqueName('v0');
    await client.request(ApiKey.Metadata, 4, metadataV4([topic], true));
    const r = await client.request(ApiKey.Metadata, 0, new Writer().int32(0).toBuffer());
    r.array((x) => [x.int32(), x.string(), x.int32()]);
    const names = r.array((x) => {
      x.int16();
      const name = x.string();
      x.array((y) => [y.int16(), y.int32(), y.int32(), y.array((z) => z.int32()), y.array((z) => z.int32())]);
      return name;
    });
    expect(names).toEqual([topic]);
    expect(r.remaining).toBe(0);
  });

  it('listens on every interface for a wildcard host and advertises loopback', async () => {
    const { sandbox, client } = await start({ host: '0.0.0.0' });
    expect(sandbox.host).toBe('127.0.0.1');
    const md = readMetadataV4(await client.request(ApiKey.Metadata, 4, metadataV4([], true)));
    expect(md.brokers[0]).toEqual({ nodeId: 0, host: '127.0.0.1', port: sandbox.port });
  });

  it('rejects invalid options before listening', async () => {
    await expect(startKafkaSandbox({ partitions: 0 })).rejects.toThrow(RangeError);
    await expect(startKafkaSandbox({ port: 70_000 })).rejects.toThrow(RangeError);
    await expect(startKafkaSandbox({ minSessionTimeoutMs: 500, maxSessionTimeoutMs: 100 })).rejects.toThrow(RangeError);
  });
});
