/**
 * The server-signature nonces this instance has admitted, kept for the signature's window: a
 * guard that needs no store, for the calls that must go on while the store is down. It sees only
 * this instance's calls, so it narrows a replay to another instance; it does not close it.
 */
export class NonceMemo {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly keepMs: number,
    private readonly capacity = 100_000,
  ) {}

  /** Notes `nonce` as used at `nowMs`; false if it was already used within the window. */
  use(nonce: string, nowMs: number): boolean {
    const expiry = this.until.get(nonce);
    if (expiry !== undefined && expiry > nowMs) return false;
    if (this.until.size >= this.capacity) this.forgetExpired(nowMs);
    // Still full of live nonces: the oldest go first (insertion order is expiry order).
    for (const oldest of this.until.keys()) {
      if (this.until.size < this.capacity) break;
      this.until.delete(oldest);
    }
    this.until.delete(nonce);
    this.until.set(nonce, nowMs + this.keepMs);
    return true;
  }

  private forgetExpired(nowMs: number) {
    for (const [nonce, expiry] of this.until) {
      if (expiry > nowMs) break;
      this.until.delete(nonce);
    }
  }
}
