import avro from 'avsc';

type AnyType = avro.Type & { typeName?: string; branchName?: string };

/**
 * avsc wraps ambiguous unions (our `props` maps mix long and double) as `{ long: 5 }`. Mappers want plain
 * values, so decoded values are unwrapped here, guided by the schema: this module is the only place that
 * unwraps union branches, for Avro and for JSON values alike (see `unwrapJsonUnions`). Bytes and fixed
 * values become base64 strings; a bigint (from a custom long type) becomes a number when that loses nothing,
 * and stays a bigint otherwise so the mapper rejects the field instead of reading a rounded value.
 */
export function toPlain(type: avro.Type, value: unknown): unknown {
  return plainConverter(type)(value);
}

type Converter = (value: unknown) => unknown;

/** Converters compiled once per schema type: decoding a record then walks no schema, only its fields. */
const converters = new WeakMap<avro.Type, Converter>();

/** The converter of `type`, compiled on first use (a recursive type refers to itself through a deferred call). */
function plainConverter(type: avro.Type): Converter {
  const cached = converters.get(type);
  if (cached) return cached;
  let compiled: Converter | undefined;
  converters.set(type, (value) => (compiled ?? (compiled = compile(type)))(value));
  compiled = compile(type);
  converters.set(type, compiled);
  return compiled;
}

/** Scalars: bytes and fixed become base64, a bigint becomes a number when that loses nothing. */
function leaf(value: unknown): unknown {
  if (typeof value === 'object') return value !== null && Buffer.isBuffer(value) ? value.toString('base64') : value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  return value;
}

function compile(type: avro.Type): Converter {
  const t = type as AnyType;
  if (t instanceof avro.types.WrappedUnionType) {
    const branches = new Map((t as unknown as { types: AnyType[] }).types.map((b) => [b.branchName!, b] as const));
    return (value) => {
      if (value === null || value === undefined) return value;
      const keys = Object.keys(value as object);
      if (keys.length !== 1) return value;
      const branch = branches.get(keys[0]!);
      const inner = (value as Record<string, unknown>)[keys[0]!];
      return branch ? plainConverter(branch)(inner) : inner;
    };
  }
  if (t instanceof avro.types.UnwrappedUnionType) {
    const branches = (t as unknown as { types: AnyType[] }).types.filter((b) => b.typeName !== 'null');
    return (value) => {
      if (value === null || value === undefined) return value;
      const branch = branches.find((b) => b.isValid(value));
      return branch ? plainConverter(branch)(value) : value;
    };
  }
  if (t instanceof avro.types.RecordType) {
    const fields = (t as unknown as { fields: Array<{ name: string; type: avro.Type }> }).fields
      .map((f): { name: string; type: avro.Type; convert?: Converter } => ({ name: f.name, type: f.type }));
    return (value) => {
      if (value === null || value === undefined) return value;
      const out: Record<string, unknown> = {};
      const from = value as Record<string, unknown>;
      for (const f of fields) out[f.name] = (f.convert ??= plainConverter(f.type))(from[f.name]);
      return out;
    };
  }
  if (t instanceof avro.types.MapType) {
    const values = (t as unknown as { valuesType: avro.Type }).valuesType;
    return (value) => {
      if (value === null || value === undefined) return value;
      const convert = plainConverter(values);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as object)) out[k] = convert(v);
      return out;
    };
  }
  if (t instanceof avro.types.ArrayType) {
    const items = (t as unknown as { itemsType: avro.Type }).itemsType;
    return (value) => (value === null || value === undefined ? value : (value as unknown[]).map(plainConverter(items)));
  }
  return leaf;
}

/** The branch names of the primitive types a `props` value or a nullable field can take. */
const AVRO_PRIMITIVE_BRANCHES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'string']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `{"string": "x"}` -> `"x"`: a single-key object named after an Avro primitive type is a wrapped union branch. */
export function unwrapBranch(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  return keys.length === 1 && AVRO_PRIMITIVE_BRANCHES.has(keys[0]!) ? value[keys[0]!] : value;
}

/**
 * JSON values carry no schema, but producers using Avro's JSON encoding write nullable fields as
 * `{"string": "x"}` and `props` values as `{"long": 5}`. Every topic's fields are scalars or `props` maps
 * (topics.md), so a branch is unwrapped at those two depths: each field, and each entry of an object-valued
 * field. Objects are rebuilt with Object.fromEntries so a `__proto__` key stays data.
 */
export function unwrapJsonUnions(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value).map((field) => {
      const fieldValue = unwrapBranch(value[field]);
      if (!isPlainObject(fieldValue)) return [field, fieldValue];
      return [field, Object.fromEntries(Object.keys(fieldValue).map((key) => [key, unwrapBranch(fieldValue[key])]))];
    }),
  );
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
