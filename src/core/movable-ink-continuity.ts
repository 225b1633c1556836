/**
 * User id continuity for Movable Ink: per person (their anonymous id, the md5 of the email), the `user_id`
 * already sent. Once one has been sent, later events of that person carry it even without an external id.
 * Filled from the compacted topic `topics.movableInkState` at start (and as other instances write to it),
 * and by this instance's deliveries.
 */
export class MovableInkContinuity {
  private readonly known = new Map<string, string>();

  get size(): number {
    return this.known.size;
  }

  userIdOf(anonymousId: string): string | undefined {
    return this.known.get(anonymousId);
  }

  remember(anonymousId: string, userId: string): void {
    this.known.set(anonymousId, userId);
  }

  /** A state record read back from the topic (a tombstone, or a value without a user id, forgets). */
  restore(anonymousId: string, value: unknown): void {
    const userId = typeof value === 'object' && value !== null ? (value as { user_id?: unknown }).user_id : undefined;
    if (typeof userId === 'string' && userId !== '') this.known.set(anonymousId, userId);
    else this.known.delete(anonymousId);
  }
}
