/**
 * One run of a campaign: the profiles are read a page at a time; the selected people are
 * claimed in the contact ledger (each once per run, however often the run is started), then
 * each is suppressed (no consent, no phone, a parameter missing, over a contact cap or the
 * budget), held out as control, or sent their variant through the SMS provider in batches.
 * Progress is saved after every page, so a crashed or replayed run picks up where it was;
 * quiet hours defer the rest of a run to their end. A chunk of a large run (chunks.ts) does
 * the same over its own parts of the profiles, with its share of the provider's QPS.
 */
import { campaignRunKey, chunkProgressKey, type Contact, type ContactHistory, type PersonState, type RunLedger } from '#lib/contacts';
import { randomUUID } from 'node:crypto';
import type { Logger } from '#lib/log';
import { profilePages, type ProfileBook, type StoredProfile } from '#lib/profiles';
import { batchesOf, requestPacer, sendAll } from '#lib/sms/batchSender';
import type { SendOutcome, SmsSender } from '#lib/sms/port';
import { increment } from '#lib/tally';
import type { Chunk } from './chunks';
import type { CampaignDefinition } from './definitions/definition';
import type { Item, PersonalItems } from './personalItems';
import { decideOne, quietUntil, releaseUnsent, variantOf, withinCapsAndBudget, type CampaignPolicy, type Send } from './policy';
import type { Select } from './selection';

export interface RunDeps {
  profiles: ProfileBook;
  /** Present when a variant names the person's top item. */
  items?: PersonalItems;
  ledger: RunLedger & ContactHistory;
  sms: SmsSender;
  policy: CampaignPolicy;
  clock: () => number;
  logger: Logger;
  pageSize?: number;
  /** Epoch ms (real time) after which a chunk stops at the next page and hands on (chunks.ts), within FC's timeout. */
  stopBy?: number;
  /** How long a worker holds the run (or chunk) without renewing it; renewed after every page (default 2 minutes). */
  leaseMs?: number;
  /** The waits before each new try of people the provider refused for flow control (default 20 s, 60 s, 120 s). */
  deferRetryMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_DEFER_RETRY_MS = [20_000, 60_000, 120_000];
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RunResult {
  run: string;
  chunk?: number;
  /** `busy`: another worker holds the run (or chunk) now, and this one left it to them. */
  status: 'done' | 'deferred' | 'paused' | 'busy';
  resumeAt?: number;
  /** Where a paused run stopped. */
  cursor?: string;
  /** What this invocation decided (a resumed run's earlier pages are in the ledger). */
  decided: Record<PersonState['status'], number>;
  suppressed: Record<string, number>;
  /** Failed sends by the provider's code. */
  failed: Record<string, number>;
  /** SMS segments sent (what the provider bills). */
  segments: number;
}

/**
 * One run, or one chunk of it, driven by one worker at a time: it holds a lease on its progress
 * (renewed after every page), so the timer that resumes stalled runs and any replay leave a live
 * one alone; a worker that dies lets its lease run out, and the next one carries on.
 */
export async function runCampaign(deps: RunDeps, d: CampaignDefinition, runId: string, select: Select, chunk?: Chunk): Promise<RunResult> {
  const run = campaignRunKey(d.id, runId);
  const progressKey = chunk ? chunkProgressKey(run, chunk.index) : run;
  const holder = randomUUID();
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(await deps.ledger.lease(progressKey, holder, leaseMs))) {
    deps.logger.info('campaign run left to the worker driving it', { run, chunk: chunk?.index });
    return { ...emptyResult(run, chunk), status: 'busy' };
  }
  try {
    return await drive(deps, d, select, { run, progressKey, chunk, renew: () => deps.ledger.lease(progressKey, holder, leaseMs) });
  } finally {
    await deps.ledger.unlease(progressKey, holder).catch(() => undefined); // it runs out by itself otherwise
  }
}

const emptyResult = (run: string, chunk?: Chunk): RunResult => ({
  run,
  chunk: chunk?.index,
  status: 'done',
  decided: { claimed: 0, control: 0, suppressed: 0, sent: 0, failed: 0 },
  suppressed: {},
  failed: {},
  segments: 0,
});

async function drive(
  deps: RunDeps,
  d: CampaignDefinition,
  select: Select,
  o: { run: string; progressKey: string; chunk?: Chunk; renew: () => Promise<boolean> },
): Promise<RunResult> {
  const { run, progressKey, chunk } = o;
  const result = emptyResult(run, chunk);
  const progress = await deps.ledger.progress(progressKey);
  const deferred: Deferred = new Map();
  const qps = Math.max(1, Math.floor(deps.policy.qps / (chunk?.of ?? 1)));
  const pacer = requestPacer(qps, Date.now, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const pages = progress.done
    ? []
    : profilePages(deps.profiles.store, { cursor: progress.cursor, count: deps.pageSize ?? 1000, parts: chunk?.parts });
  for await (const page of pages) {
    const resumeAt = quietUntil(deps.clock(), deps.policy.quiet);
    if (resumeAt !== undefined) {
      await deps.ledger.saveProgress(progressKey, { ...progress, deferredUntil: resumeAt });
      deps.logger.info('campaign run deferred by quiet hours', { run, chunk: chunk?.index, resumeAt: new Date(resumeAt).toISOString() });
      return { ...result, status: 'deferred', resumeAt };
    }
    if (deps.stopBy !== undefined && Date.now() >= deps.stopBy) return { ...result, status: 'paused', cursor: progress.cursor };
    const selected = await select(page.profiles, deps.clock());
    const states = await decidePage(deps, d, run, selected, { qps, pacer });
    count(result, states.values(), 1);
    noteDeferred(deferred, selected, states);
    progress.cursor = page.next;
    progress.done = page.next === undefined;
    progress.deferredUntil = undefined;
    await deps.ledger.saveProgress(progressKey, progress);
    if (!(await o.renew())) {
      deps.logger.warn('campaign run lost its lease; leaving the rest to the worker holding it', { run, chunk: chunk?.index });
      return { ...result, status: 'busy' };
    }
  }
  await retryDeferred(deps, d, run, deferred, { qps, pacer }, { result, renew: o.renew });
  deps.logger.info('campaign run done', { ...result });
  return result;
}

/** Every provider request that got no answer, with its cause: its people's sends are uncertain (sms-feedback asks the provider later). */
function logNoAnswer(logger: Logger, run: string, sent: Send[], outcomes: SendOutcome[]) {
  const causes = new Map<string, { code: string; detail?: string; people: number; template: string }>();
  outcomes.forEach((o, i) => {
    if (o.status !== 'failed' || o.failure !== 'uncertain') return;
    const key = `${o.code}\u0000${o.detail ?? ''}\u0000${sent[i].templateCode}`;
    const seen = causes.get(key) ?? { code: o.code, detail: o.detail, people: 0, template: sent[i].templateCode };
    seen.people++;
    causes.set(key, seen);
  });
  for (const cause of causes.values()) logger.warn('sms request got no answer: its sends are uncertain', { run, ...cause });
}

/** People the provider refused for flow control, with the state that says so (its `attempts`). */
type Deferred = Map<string, { p: StoredProfile; state: PersonState & { status: 'failed' } }>;

function noteDeferred(into: Deferred, people: StoredProfile[], states: Map<string, PersonState>) {
  for (const p of people) {
    const state = states.get(p.userId);
    if (state?.status === 'failed' && state.failure === 'defer') into.set(p.userId, { p, state });
  }
}

/** Adds (sign 1) or takes back (sign -1) these decisions in the invocation's figures. */
function count(result: RunResult, states: Iterable<PersonState>, sign: 1 | -1) {
  for (const state of states) {
    result.decided[state.status] += sign;
    if (state.status === 'suppressed') increment(result.suppressed, state.reason, sign);
    if (state.status === 'failed') increment(result.failed, state.code, sign);
    if (state.status === 'sent') result.segments += sign * state.segments;
  }
}

/**
 * People the provider refused for flow control (carrier limits per number, throttling past the
 * sender's retries) are tried again within the run after each wait in turn, while sending hours
 * and the worker's time last; each try re-reserves caps and budget. Those still refused after the
 * last stay `failed` with their code and `attempts`, and the report counts them as deferred.
 */
async function retryDeferred(
  deps: RunDeps,
  d: CampaignDefinition,
  run: string,
  deferred: Deferred,
  pace: Pace,
  o: { result: RunResult; renew: () => Promise<boolean> },
) {
  let waiting = deferred;
  for (const waitMs of deps.deferRetryMs ?? DEFAULT_DEFER_RETRY_MS) {
    if (waiting.size === 0) return;
    await (deps.sleep ?? realSleep)(waitMs);
    const outOfTime = deps.stopBy !== undefined && Date.now() >= deps.stopBy;
    if (outOfTime || quietUntil(deps.clock(), deps.policy.quiet) !== undefined || !(await o.renew())) return;
    const people = [...waiting.values()].map((w) => w.p);
    const states = await decidePage(deps, d, run, people, pace, { budgetOf: run, retry: waiting });
    // This try's decisions replace the refusals they follow.
    count(
      o.result,
      [...waiting].filter(([id]) => states.has(id)).map(([, w]) => w.state),
      -1,
    );
    count(o.result, states.values(), 1);
    deps.logger.info('campaign run retried people refused for flow control', {
      run,
      people: people.length,
      sent: [...states.values()].filter((s) => s.status === 'sent').length,
    });
    waiting = new Map();
    noteDeferred(waiting, people, states);
  }
}

/** The messages a batch sent, for each person's contact history (what recommend and later campaigns read). */
function sentContacts(
  d: CampaignDefinition,
  run: string,
  states: Map<string, PersonState>,
  at: number,
  priceMilliYuan: number,
): [string, Contact][] {
  return [...states].flatMap(([userId, s]): [string, Contact][] =>
    s.status === 'sent'
      ? [
          [
            userId,
            {
              channel: 'sms',
              at,
              items: s.item ? [s.item] : [],
              campaign: d.id,
              run,
              variant: s.variant,
              outcome: 'sent',
              costMilliYuan: s.segments * priceMilliYuan,
            },
          ],
        ]
      : [],
  );
}

/** The top items of the people whose variant names one (none when no variant does). */
export async function itemsFor(
  deps: Pick<RunDeps, 'items' | 'clock'> & { ledger: ContactHistory },
  d: CampaignDefinition,
  people: StoredProfile[],
): Promise<Map<string, Item>> {
  const wanting = deps.items ? people.filter((p) => variantOf(d, p.userId).itemStrategy === 'top_recommendation').map((p) => p.userId) : [];
  if (wanting.length === 0) return new Map();
  // Items the person was shown or messaged about lately, when the campaign asks to skip them.
  const seen = d.skipSeenDays > 0 ? await deps.ledger.contactsOf(wanting, deps.clock() - d.skipSeenDays * 86_400_000) : [];
  return deps.items!.topFor(
    wanting,
    seen.map((contacts) => new Set(contacts.flatMap((c) => c.items))),
  );
}

/**
 * Claims, decides, sends and records one provider batch of selected people at a time, so a
 * process that dies leaves at most one batch claimed without an outcome (uncertain).
 */
type Pace = { qps: number; pacer: () => Promise<void> };
/** How a page is claimed: a first decision, or another try of people refused for flow control. */
type Attempt = { budgetOf: string; retry?: Deferred };

/** Sends to these people as a run does (claims, policy, caps, budget, provider batches); `budgetOf` names the run whose budget pays. */
export function sendTo(
  deps: RunDeps,
  d: CampaignDefinition,
  run: string,
  people: StoredProfile[],
  budgetOf = run,
): Promise<Map<string, PersonState>> {
  const pacer = requestPacer(deps.policy.qps, Date.now, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  return decidePage(deps, d, run, people, { qps: deps.policy.qps, pacer }, { budgetOf });
}

async function decidePage(
  deps: RunDeps,
  d: CampaignDefinition,
  run: string,
  selected: StoredProfile[],
  pace: Pace,
  attempt: Attempt = { budgetOf: run },
): Promise<Map<string, PersonState>> {
  const states = new Map<string, PersonState>();
  // Each batch's contact notes are written while the next batch goes on; the page ends when they are all written.
  const noting: Promise<void>[] = [];
  for (let i = 0; i < selected.length; i += deps.sms.maxBatch) {
    const batch = await decideBatch(deps, d, run, selected.slice(i, i + deps.sms.maxBatch), pace, attempt);
    noting.push(batch.noting);
    for (const [id, state] of batch.states) states.set(id, state);
  }
  await Promise.all(noting);
  return states;
}

async function decideBatch(
  deps: RunDeps,
  d: CampaignDefinition,
  run: string,
  selected: StoredProfile[],
  pace: Pace,
  { budgetOf, retry }: Attempt,
): Promise<{ states: Map<string, PersonState>; noting: Promise<void> }> {
  const now = deps.clock();
  const ids = selected.map((p) => p.userId);
  const claimed = retry ? await deps.ledger.reclaimDeferred(run, ids, now) : await deps.ledger.claim(run, ids, now);
  const attemptsOf = (id: string) => (retry?.get(id)?.state.attempts ?? 0) + 1;
  const states = new Map<string, PersonState>();
  const toSend: Send[] = [];
  const items = await itemsFor(
    deps,
    d,
    selected.filter((_, i) => claimed[i]),
  );
  for (const [i, p] of selected.entries()) {
    if (!claimed[i]) continue;
    const decided = decideOne(deps, d, run, p, items.get(p.userId));
    if ('status' in decided) states.set(p.userId, decided);
    else toSend.push(decided);
  }
  const reservation = { nowMs: now, policy: deps.policy, budgetOf };
  const sending = await withinCapsAndBudget(deps.ledger, d, toSend, states, reservation);
  // Each variant goes out under its own approved template: a provider batch holds one template's messages.
  const byTemplate = new Map<string, Send[]>();
  for (const s of sending) {
    const group = byTemplate.get(s.templateCode);
    if (group) group.push(s);
    else byTemplate.set(s.templateCode, [s]);
  }
  const ordered = [...byTemplate.values()].flat();
  const batches = [...byTemplate].flatMap(([code, sends]) =>
    batchesOf(
      deps.sms,
      code,
      sends.map((s) => s.message),
      d.channel.signName,
    ),
  );
  const outcomes = await sendAll(deps.sms, batches, pace);
  outcomes.forEach((o, i) => {
    const { p, variant, segments, item } = ordered[i];
    states.set(
      p.userId,
      o.status === 'sent'
        ? { status: 'sent', variant, messageId: o.messageId, segments, ...(item ? { item } : {}) }
        : o.failure === 'defer'
          ? { status: 'failed', variant, code: o.code, failure: o.failure, attempts: attemptsOf(p.userId) }
          : { status: 'failed', variant, code: o.code, failure: o.failure },
    );
  });
  logNoAnswer(deps.logger, run, ordered, outcomes);
  await releaseUnsent(
    deps.ledger,
    ordered.filter((_, i) => {
      const o = outcomes[i];
      return o.status === 'failed' && o.failure !== 'uncertain';
    }),
    reservation,
  );
  const noting = deps.ledger.noteContacts(sentContacts(d, run, states, now, deps.policy.priceMilliYuan));
  noting.catch(() => undefined); // awaited at the page's end; a batch that fails before then must not leave it unhandled
  await deps.ledger.settle(run, states);
  return { states, noting };
}
