// Kafka primitive types (big-endian ints, int16-length strings, int32-length bytes and arrays,
// zig-zag varints) for the non-flexible protocol versions the sandbox speaks.

/** Thrown when a request body does not parse; the connection that sent it is closed. */
export class MalformedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

export class Reader {
  private pos: number;

  constructor(private readonly buf: Buffer, offset = 0) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(bytes: number): void {
    if (bytes < 0 || this.pos + bytes > this.buf.length) {
      throw new MalformedRequestError(`need ${bytes} bytes at offset ${this.pos}, have ${this.buf.length - this.pos}`);
    }
  }

  int8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a JS number: offsets and timestamps stay far below 2^53 in a sandbox. */
  int64(): number {
    return Number(this.bigInt64());
  }

  bigInt64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedRequestError('null where a string is required');
    return s;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** A view into the request buffer; copy it before keeping it beyond the request. */
  bytes(): Buffer {
    const b = this.nullableBytes();
    return b ?? Buffer.alloc(0);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }

  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const len = this.int32();
    if (len < 0) return null;
    // Every item takes at least one byte, so a count above the bytes left is a malformed frame,
    // and checking it here stops a forged count from allocating a huge array.
    if (len > this.remaining) throw new MalformedRequestError(`array of ${len} items in ${this.remaining} bytes`);
    const out = new Array<T>(len);
    for (let i = 0; i < len; i++) out[i] = item(this);
    return out;
  }

  unsignedVarInt(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const byte = this.buf[this.pos++];
      if (shift === 28 && byte > 0x0f) throw new MalformedRequestError('varint longer than 32 bits');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  varInt(): number {
    const u = this.unsignedVarInt();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag varlong as a number (record timestamp deltas and the like). */
  varLong(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      this.need(1);
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new MalformedRequestError('varlong longer than 64 bits');
    }
    const decoded = (result >> 1n) ^ -(result & 1n);
    return Number(decoded);
  }

  skip(bytes: number): void {
    this.need(bytes);
    this.pos += bytes;
  }
}

const INITIAL_CAPACITY = 256;
/** Buffers at least this large are referenced, not copied, when written as raw bytes. */
const ZERO_COPY_THRESHOLD = 1024;

/**
 * Builds a response as a list of chunks: small fields go into a growing scratch buffer, large
 * stored record batches are referenced as they are, so Fetch serves them without copying.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private total = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.total + this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number | bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new RangeError(`string of ${len} bytes does not fit an int16 length`);
    this.int16(len);
    this.ensure(len);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
    return this;
  }

  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }

  bytes(b: Buffer): this {
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Buffer | null): this {
    return b === null ? this.int32(-1) : this.bytes(b);
  }

  array<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  /** Bytes written verbatim; large buffers are kept by reference and must not change afterwards. */
  raw(b: Buffer): this {
    if (b.length < ZERO_COPY_THRESHOLD) {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
      return this;
    }
    this.flushScratch();
    this.chunks.push(b);
    this.total += b.length;
    return this;
  }

  unsignedVarInt(v: number): this {
    let u = v >>> 0;
    this.ensure(5);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
    return this;
  }

  varInt(v: number): this {
    return this.unsignedVarInt(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varLong(v: number | bigint): this {
    const big = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(v));
    let u = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.total += this.pos;
    // The flushed bytes now belong to the chunk list; continue in a fresh scratch buffer.
    this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
    this.pos = 0;
  }

  /** The written bytes as chunks (zero-copy where possible). The writer must not be reused. */
  toChunks(): Buffer[] {
    this.flushScratch();
    return this.chunks;
  }

  /** The written bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.total);
  }
}
