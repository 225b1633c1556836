/**
 * A FIFO with O(1) amortised push, shift and unshift. Array.prototype.shift is O(n), which turns a
 * hot user key's backlog (or a long ready list) into quadratic work.
 */
export class Deque<V> {
  private items: (V | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(value: V): void {
    this.items.push(value);
  }

  shift(): V | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  peek(): V | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  at(index: number): V | undefined {
    return index >= 0 && index < this.length ? this.items[this.head + index] : undefined;
  }

  unshift(value: V): void {
    if (this.head > 0) this.items[--this.head] = value;
    else this.items.unshift(value);
  }

  /** Insert so that `value` ends up at position `index` (0 = front). */
  insert(index: number, value: V): void {
    if (index <= 0) this.unshift(value);
    else if (index >= this.length) this.push(value);
    else this.items.splice(this.head + index, 0, value);
  }

  /** Put `values` in front, keeping their order. */
  prependAll(values: readonly V[]): void {
    if (values.length === 0) return;
    if (this.head >= values.length) {
      this.head -= values.length;
      for (let i = 0; i < values.length; i++) this.items[this.head + i] = values[i];
    } else {
      this.items = [...values, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }

  /** Remove every value matching `predicate` and return them in order. Leaves the deque untouched if `predicate` throws. */
  removeWhere(predicate: (value: V) => boolean): V[] {
    const kept: V[] = [];
    const removed: V[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const value = this.items[i] as V;
      (predicate(value) ? removed : kept).push(value);
    }
    if (removed.length > 0) {
      this.items = kept;
      this.head = 0;
    }
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<V> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as V;
  }
}
