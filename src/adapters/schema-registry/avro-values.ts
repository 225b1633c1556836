import avro from 'avsc';

type AnyType = avro.Type & { typeName?: string; branchName?: string };

/**
 * avsc wraps ambiguous unions (our `props` maps mix long and double) as `{ long: 5 }`. Mappers want plain
 * values, so decoded values are unwrapped here, guided by the schema.
 */
export function toPlain(type: avro.Type, value: unknown): unknown {
  const t = type as AnyType;
  if (value === null || value === undefined) return value;
  if (t instanceof avro.types.WrappedUnionType) {
    const keys = Object.keys(value as object);
    if (keys.length !== 1) return value;
    const branch = (t as unknown as { types: AnyType[] }).types.find((b) => b.branchName === keys[0]);
    const inner = (value as Record<string, unknown>)[keys[0]!];
    return branch ? toPlain(branch, inner) : inner;
  }
  if (t instanceof avro.types.UnwrappedUnionType) {
    const branch = (t as unknown as { types: AnyType[] }).types.find((b) => b.typeName !== 'null' && b.isValid(value));
    return branch ? toPlain(branch, value) : value;
  }
  if (t instanceof avro.types.RecordType) {
    const out: Record<string, unknown> = {};
    for (const f of (t as unknown as { fields: Array<{ name: string; type: avro.Type }> }).fields) {
      out[f.name] = toPlain(f.type, (value as Record<string, unknown>)[f.name]);
    }
    return out;
  }
  if (t instanceof avro.types.MapType) {
    const values = (t as unknown as { valuesType: avro.Type }).valuesType;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) out[k] = toPlain(values, v);
    return out;
  }
  if (t instanceof avro.types.ArrayType) {
    const items = (t as unknown as { itemsType: avro.Type }).itemsType;
    return (value as unknown[]).map((v) => toPlain(items, v));
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return value;
}

/** The inverse, for producers of sample data: wraps plain values into the union branch avsc expects. */
export function fromPlain(type: avro.Type, value: unknown): unknown {
  const t = type as AnyType;
  if (t instanceof avro.types.WrappedUnionType) {
    if (value === null || value === undefined) return null;
    const branches = (t as unknown as { types: AnyType[] }).types;
    const pick =
      typeof value === 'number'
        ? Number.isInteger(value)
          ? branches.find((b) => b.typeName === 'long' || b.typeName === 'int') ?? branches.find((b) => b.typeName === 'double')
          : branches.find((b) => b.typeName === 'double' || b.typeName === 'float')
        : branches.find((b) => b.typeName !== 'null' && b.isValid(fromPlain(b, value)));
    if (!pick) return value;
    return { [pick.branchName!]: fromPlain(pick, value) };
  }
  if (value === null || value === undefined) return value ?? null;
  if (t instanceof avro.types.RecordType) {
    const out: Record<string, unknown> = {};
    for (const f of (t as unknown as { fields: Array<{ name: string; type: avro.Type; defaultValue(): unknown }> }).fields) {
      const v = (value as Record<string, unknown>)[f.name];
      out[f.name] = v === undefined ? f.defaultValue() : fromPlain(f.type, v);
    }
    return out;
  }
  if (t instanceof avro.types.MapType) {
    const values = (t as unknown as { valuesType: avro.Type }).valuesType;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) out[k] = fromPlain(values, v);
    return out;
  }
  if (t instanceof avro.types.ArrayType) {
    const items = (t as unknown as { itemsType: avro.Type }).itemsType;
    return (value as unknown[]).map((v) => fromPlain(items, v));
  }
  return value;
}
