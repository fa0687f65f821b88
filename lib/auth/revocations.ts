/**
 * Per-app token revocation: `POST /v1/tokens/revoke` refuses every token of the app issued
 * before that moment. The times live in the feature store (Redis on FC, shared by every
 * instance); each instance keeps a copy, re-read in the background at most every `everyMs`, so
 * checking a token costs no round trip and a Redis outage keeps the last known times.
 */
export interface RevocationStore {
  /** appId → tokens issued before this epoch ms are refused. */
  tokenRevocations(): Promise<Record<string, number>>;
  revokeTokens(appId: string, issuedBeforeMs: number): Promise<void>;
}

export class TokenRevocations {
  private known: Record<string, number> = {};
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(
    private readonly store: RevocationStore,
    private readonly clock: () => number,
    private readonly everyMs = 5000,
  ) {}

  /** Re-reads the revocations now (an instance's initializer awaits it). Never throws: the last known times stay. */
  refresh(): Promise<void> {
    this.readAt = this.clock();
    this.reading ??= this.store
      .tokenRevocations()
      .then((known) => void (this.known = known))
      .catch(() => undefined)
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Tokens of `appId` issued before this time are refused (0: none). */
  revokedBefore(appId: string): number {
    if (this.clock() - this.readAt >= this.everyMs) void this.refresh();
    return Object.hasOwn(this.known, appId) ? this.known[appId] : 0;
  }

  async revoke(appId: string): Promise<number> {
    const at = this.clock();
    await this.store.revokeTokens(appId, at);
    this.known = { ...this.known, [appId]: at };
    return at;
  }
}
