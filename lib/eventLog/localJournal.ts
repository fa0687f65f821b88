/**
 * The embedded event log: an append-only journal file. A batch is one line, written with a
 * single synchronous append, so once `append` returns it survives the process being killed
 * (the kernel holds it; no fsync, as a machine crash is not what local runs guard against).
 * On open the journal is replayed to rebuild the de-duplication window and what is unflushed.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { decodeFlags, encodeFlags, type Admission, type AppendResult, type EventLog, type LogEntry, type Refusal } from './port';

interface JournalLine {
  seq: number;
  at: number;
  keys: string[];
  /** The batch record (valid UTF-8: ingest checked the body). */
  record: string;
  duplicate: string;
}

export class LocalJournal implements EventLog {
  readonly describe: string;
  private readonly file: string;
  private readonly checkpointFile: string;
  private fd: number;
  private seq = 0;
  private acked = 0;
  /** key → epoch ms it was first appended */
  private readonly seen = new Map<string, number>();
  private readonly unflushed = new Map<number, LogEntry>();
  /** Admission state lives in memory: a restart forgets nonces and quotas (local runs only). */
  private readonly nonces = new Map<string, number>();
  private readonly quotas = new Map<string, { used: number; until: number }>();

  constructor(
    dir: string,
    private readonly clock: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true });
    this.describe = `journal:${dir}`;
    this.file = path.join(dir, 'events.journal');
    this.checkpointFile = path.join(dir, 'flushed.seq');
    this.acked = existsSync(this.checkpointFile) ? Number(readFileSync(this.checkpointFile, 'utf8')) || 0 : 0;
    this.replay();
    this.fd = openSync(this.file, 'a');
  }

  private replay() {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < Buffer.byteLength(text)) truncateSync(this.file, Buffer.byteLength(text.slice(0, complete))); // a torn last write
    for (const raw of text.slice(0, complete).split('\n')) {
      if (!raw) continue;
      const entry = JSON.parse(raw) as JournalLine;
      this.seq = Math.max(this.seq, entry.seq);
      const duplicate = decodeFlags(entry.duplicate);
      entry.keys.forEach((key, i) => !duplicate[i] && this.seen.set(key, entry.at));
      if (entry.seq > this.acked) this.unflushed.set(entry.seq, this.toEntry(entry.seq, Buffer.from(entry.record), duplicate));
    }
  }

  private toEntry = (seq: number, record: Buffer, duplicate: boolean[]): LogEntry => ({
    id: String(seq).padStart(12, '0'),
    record,
    duplicate,
  });

  private admit(g: Admission, now: number): Refusal | undefined {
    for (const [nonce, until] of this.nonces) {
      if (until > now) break; // insertion order is expiry order: every nonce lives nonceSeconds
      this.nonces.delete(nonce);
    }
    if (g.nonce !== undefined) {
      if (this.nonces.has(g.nonce)) return 'replayed_nonce';
      this.nonces.set(g.nonce, now + g.nonceSeconds * 1000);
    }
    let quota = this.quotas.get(g.quota);
    if (!quota || quota.until <= now) {
      for (const [key, q] of this.quotas) if (q.until <= now) this.quotas.delete(key);
      this.quotas.set(g.quota, (quota = { used: 0, until: now + g.quotaSeconds * 1000 }));
    }
    quota.used += g.cost;
    return quota.used > g.limit ? 'over_quota' : undefined;
  }

  async append(keys: string[], record: Buffer, dedupeSeconds: number, admission?: Admission): Promise<AppendResult> {
    const now = this.clock();
    const refused = admission && this.admit(admission, now);
    if (refused) return { refused };
    const horizon = now - dedupeSeconds * 1000;
    const batchKeys = new Set<string>();
    const duplicate = keys.map((key) => {
      const at = this.seen.get(key);
      const dup = (at !== undefined && at > horizon) || batchKeys.has(key);
      batchKeys.add(key);
      return dup;
    });
    if (duplicate.every(Boolean)) return { duplicate };
    const entry: JournalLine = { seq: this.seq + 1, at: now, keys, record: record.toString('utf8'), duplicate: encodeFlags(duplicate) };
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    this.seq = entry.seq;
    keys.forEach((key, i) => !duplicate[i] && this.seen.set(key, now));
    this.unflushed.set(entry.seq, this.toEntry(entry.seq, record, duplicate));
    return { duplicate };
  }

  async pending(limit: number): Promise<LogEntry[]> {
    return [...this.unflushed.values()].slice(0, limit);
  }

  async ack(ids: string[]): Promise<void> {
    for (const id of ids) this.unflushed.delete(Number(id));
    const oldestUnflushed = Math.min(...this.unflushed.keys(), this.seq + 1);
    this.acked = oldestUnflushed - 1;
    const tmp = `${this.checkpointFile}.tmp`;
    writeFileSync(tmp, String(this.acked));
    renameSync(tmp, this.checkpointFile);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}
