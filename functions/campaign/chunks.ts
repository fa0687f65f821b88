/**
 * Large runs fan out. A run whose profiles outnumber the chunk size is split into chunks, each a
 * range of profile parts (lib/profiles/port.ts), and each chunk is submitted as an asynchronous
 * invocation of campaign itself: a payload of a few ids (FC takes 128 KB), a task id naming the
 * campaign, run and chunk, so FC refuses a chunk submitted twice by a replayed or retried
 * coordinator. The number of chunks is kept with the run, so a replay splits the same way; a
 * chunk worker saves its own progress, FC's async retries resume it, and a chunk that nears its
 * function's timeout submits its own continuation (a task id naming where it stopped).
 */
import { badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import { taskIdOf, type AsyncInvoker } from '#lib/fanout';
import type { Logger } from '#lib/log';
import type { RunLedger } from '#lib/contacts';
import { PROFILE_PARTS, type PartRange, type ProfileStore } from '#lib/profiles/port';

export const MAX_CHUNKS = 64;

export interface Chunk {
  index: number;
  of: number;
  parts: PartRange;
}

/** What a chunk worker's invocation carries. */
export interface ChunkTask {
  campaign_chunk: { campaign: string; run_id: string; index: number; of: number };
}

export interface Fanout {
  invoker: AsyncInvoker;
  /** campaign's own name on FC (its chunks are invocations of itself). */
  functionName: string;
  chunkSize: number;
}

/** Chunk `index` of `of`: an even share of the parts. */
export function chunkOf(index: number, of: number): Chunk {
  return { index, of, parts: { from: Math.floor((index * PROFILE_PARTS) / of), to: Math.floor(((index + 1) * PROFILE_PARTS) / of) } };
}

/** At most one chunk per request a second the provider takes: each chunk sends at its share of the QPS. */
export const chunkCountFor = (profiles: number, chunkSize: number, qps: number) =>
  Math.min(MAX_CHUNKS, qps, Math.max(1, Math.ceil(profiles / chunkSize)));

/** How many chunks a run takes: as first decided, or from the number of profiles now. */
export async function chunksOfRun(
  deps: { ledger: RunLedger; profiles: { store: ProfileStore } },
  run: string,
  chunkSize: number,
  qps: number,
): Promise<number> {
  const progress = await deps.ledger.progress(run);
  if (progress.chunks !== undefined) return progress.chunks;
  const chunks = chunkCountFor(await deps.profiles.store.count(), chunkSize, qps);
  if (chunks > 1) await deps.ledger.saveProgress(run, { ...progress, chunks });
  return chunks;
}

/**
 * Submits chunks of a run. `again` names a later submission of the same chunk (resumed after
 * quiet hours, continued after a pause), which must be a task of its own.
 */
export async function submitChunks(
  fanout: Fanout,
  campaign: string,
  runId: string,
  indexes: number[],
  of: number,
  logger: Logger,
  again?: string,
) {
  const counts = { accepted: 0, duplicate: 0 };
  for (const index of indexes) {
    const task: ChunkTask = { campaign_chunk: { campaign, run_id: runId, index, of } };
    const taskId = taskIdOf(campaign, runId, `c${index}of${of}`, ...(again === undefined ? [] : [again]));
    counts[await fanout.invoker.submit(fanout.functionName, task, taskId)]++;
  }
  logger.info('campaign run fanned out', { campaign, runId, chunks: indexes.length, of, ...counts });
  return counts;
}

/** The chunk a worker's invocation names, if it names one. */
export function chunkTaskOf(invocation: Invocation): (ChunkTask['campaign_chunk'] & { chunk: Chunk }) | undefined {
  if (
    invocation.kind !== 'direct' ||
    typeof invocation.payload !== 'object' ||
    invocation.payload === null ||
    !('campaign_chunk' in invocation.payload)
  )
    return undefined;
  const t = (invocation.payload as ChunkTask).campaign_chunk;
  const ok =
    t &&
    typeof t.campaign === 'string' &&
    typeof t.run_id === 'string' &&
    Number.isInteger(t.of) &&
    t.of >= 1 &&
    t.of <= MAX_CHUNKS &&
    Number.isInteger(t.index) &&
    t.index >= 0 &&
    t.index < t.of;
  if (!ok) throw badRequest('bad_chunk', `a chunk task is {"campaign_chunk": {"campaign", "run_id", "index" < "of" ≤ ${MAX_CHUNKS}}}`);
  return { ...t, chunk: chunkOf(t.index, t.of) };
}
