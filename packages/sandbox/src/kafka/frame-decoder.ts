// Splits a TCP byte stream into size-prefixed Kafka frames. Several frames may arrive in one chunk
// and one frame may span many chunks; a frame body is assembled in a buffer allocated once at its
// final size, so a large frame arriving in small chunks costs one copy, not a quadratic concat.

export class FrameTooLargeError extends Error {
  constructor(readonly sizeBytes: number, readonly maxBytes: number) {
    super(`frame size ${sizeBytes} outside 0..${maxBytes}`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private readonly sizePrefix = Buffer.alloc(4);
  private sizePrefixFilled = 0;
  private body: Buffer | null = null;
  private bodyFilled = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** True when part of a frame is buffered. */
  get pending(): boolean {
    return this.sizePrefixFilled > 0 || this.body !== null;
  }

  /**
   * Feeds one chunk and returns the frame bodies it completes (without the size prefix).
   * Bodies may be views into `chunk`. Throws FrameTooLargeError for an out-of-range size.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyFilled, chunk.length - pos);
        chunk.copy(this.body, this.bodyFilled, pos, pos + take);
        this.bodyFilled += take;
        pos += take;
        if (this.bodyFilled === this.body.length) {
          frames.push(this.body);
          this.body = null;
          this.bodyFilled = 0;
        }
        continue;
      }

      let size: number;
      if (this.sizePrefixFilled === 0 && chunk.length - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        const take = Math.min(4 - this.sizePrefixFilled, chunk.length - pos);
        chunk.copy(this.sizePrefix, this.sizePrefixFilled, pos, pos + take);
        this.sizePrefixFilled += take;
        pos += take;
        if (this.sizePrefixFilled < 4) break;
        size = this.sizePrefix.readInt32BE(0);
        this.sizePrefixFilled = 0;
      }

      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);

      if (chunk.length - pos >= size) {
        // Whole frame inside this chunk: hand out a view, no copy.
        frames.push(chunk.subarray(pos, pos + size));
        pos += size;
      } else {
        this.body = Buffer.allocUnsafe(size);
        this.bodyFilled = 0;
      }
    }
    return frames;
  }
}
