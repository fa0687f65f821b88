/**
 * Campaign policy, in the order a run applies it:
 * 1. quiet hours, before each page (`quietUntil`): the rest of the run waits for their end;
 * 2. for each person claimed (`decideOne`): consent, a number, the control group, then the
 *    variant and its message (a parameter the profile cannot fill suppresses the person);
 * 3. for the batch's messages (`withinCapsAndBudget`): the contact caps every campaign shares,
 *    then the run's budget.
 * Control and variant are stable per person and campaign, so a rerun decides the same.
 */
import { createHash } from 'node:crypto';
import { SHANGHAI_OFFSET_MS } from '#lib/clock';
import type { ContactCaps, ContactHistory, PersonState, RunLedger } from '#lib/contacts';
import type { ProfileBook, StoredProfile } from '#lib/profiles';
import type { AttributeValue } from '#lib/profiles/port';
import type { BatchMessage } from '#lib/sms/port';
import type { CampaignDefinition, Variant } from './definitions/definition';
import type { Item } from './personalItems';
import { fillTemplate, placeholdersOf, segments } from './smsText';

/** A number in [0, 1) fixed by its inputs. */
export function stableShare(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

export const inControl = (d: CampaignDefinition, userId: string) => stableShare('control', d.id, userId) < d.controlShare;

/** A variant by weight, stable per person and campaign. */
export function variantOf(d: CampaignDefinition, userId: string): Variant {
  const total = d.variants.reduce((n, v) => n + v.weight, 0);
  let point = stableShare('variant', d.id, userId) * total;
  for (const v of d.variants) if ((point -= v.weight) < 0) return v;
  return d.variants[d.variants.length - 1];
}

const DAY_MIN = 24 * 60;
const minuteOfDay = (ms: number) => Math.floor(((ms + SHANGHAI_OFFSET_MS) % 86_400_000) / 60_000);

/** When quiet hours end, if `ms` falls in them (they may span midnight); undefined when sending is allowed. */
export function quietUntil(ms: number, quiet: { fromMin: number; toMin: number }): number | undefined {
  const now = minuteOfDay(ms);
  const inQuiet = quiet.fromMin <= quiet.toMin ? now >= quiet.fromMin && now < quiet.toMin : now >= quiet.fromMin || now < quiet.toMin;
  if (!inQuiet) return undefined;
  const wait = (quiet.toMin - now + DAY_MIN) % DAY_MIN;
  return Math.floor(ms / 60_000) * 60_000 + wait * 60_000;
}

export interface Rendered {
  /** The template's parameters, in the channel's order. */
  params: Record<string, string>;
  text: string;
  segments: number;
}

/** The message for a person, or the name of the parameter their profile (or their item) cannot fill. */
export function render(
  d: CampaignDefinition,
  variant: Variant,
  attributes: Record<string, AttributeValue>,
  item?: { id: string; title: string },
): Rendered | { missing: string } {
  const params: Record<string, string> = {};
  // Only what this variant's own template fills, in the channel's order (Tencent's parameters are positional).
  const used = new Set(placeholdersOf(variant.templateText));
  for (const [name, source] of Object.entries(d.channel.params)) {
    if (!used.has(name)) continue;
    const value = source.from === 'const' ? source.text : source.from === 'profile' ? attributes[source.attribute] : item?.[source.field];
    if (value === undefined || value === '') return { missing: name };
    params[name] = String(value);
  }
  const text = fillTemplate(variant.templateText, params);
  return { params, text, segments: segments(text, d.channel.signName) };
}

export interface CampaignPolicy {
  caps: ContactCaps;
  quiet: { fromMin: number; toMin: number };
  qps: number;
  priceMilliYuan: number;
}

export interface Send {
  p: StoredProfile;
  variant: string;
  /** The variant's approved template. */
  templateCode: string;
  message: BatchMessage;
  segments: number;
  item?: string;
}

/** What policy says of one claimed person before caps and budget: a final state, or a message to send. */
export function decideOne(
  deps: { profiles: Pick<ProfileBook, 'phoneOf'> },
  d: CampaignDefinition,
  run: string,
  p: StoredProfile,
  item?: Item,
): PersonState | Send {
  if (!p.consentSms?.granted) return { status: 'suppressed', reason: 'no_consent' };
  const phone = deps.profiles.phoneOf(p);
  if (!phone) return { status: 'suppressed', reason: 'no_phone' };
  if (inControl(d, p.userId)) return { status: 'control' };
  const variant = variantOf(d, p.userId);
  const rendered = render(d, variant, p.attributes, item);
  if ('missing' in rendered) return { status: 'suppressed', reason: `missing_${rendered.missing}` };
  return {
    p,
    variant: variant.id,
    templateCode: variant.templateCode,
    message: { phone, params: rendered.params, outId: `${run}|${p.userId}` },
    segments: rendered.segments,
    item: item?.id,
  };
}

/**
 * Of the messages policy would send in one batch, those within every person's contact caps and
 * then within the run's budget (`budgetOf` names the run that pays); the others are suppressed
 * in `states` (`contact_cap`, `budget`). One reservation: a person the budget leaves out gets
 * their cap slot back, so other campaigns can still reach them that day.
 */
export async function withinCapsAndBudget(
  ledger: Pick<ContactHistory, 'reserveContacts' | 'releaseContacts'> & Pick<RunLedger, 'reserveBudget'>,
  d: CampaignDefinition,
  toSend: Send[],
  states: Map<string, PersonState>,
  o: { nowMs: number; policy: CampaignPolicy; budgetOf: string },
): Promise<Send[]> {
  const withinCaps = await ledger.reserveContacts(
    toSend.map((s) => s.p.userId),
    o.nowMs,
    o.policy.caps,
  );
  toSend.filter((_, i) => !withinCaps[i]).forEach((s) => states.set(s.p.userId, { status: 'suppressed', reason: 'contact_cap' }));
  const allowed = toSend.filter((_, i) => withinCaps[i]);
  const budget = d.budget.yuan === undefined ? {} : { milliYuan: Math.round(d.budget.yuan * 1000) };
  const granted = await ledger.reserveBudget(
    o.budgetOf,
    allowed.map((s) => s.segments * o.policy.priceMilliYuan),
    { messages: d.budget.messages, ...budget },
  );
  const overBudget = allowed.slice(granted);
  overBudget.forEach((s) => states.set(s.p.userId, { status: 'suppressed', reason: 'budget' }));
  await ledger.releaseContacts(
    overBudget.map((s) => s.p.userId),
    o.nowMs,
  );
  return allowed.slice(0, granted);
}

/**
 * What a batch's failed sends held back: a message the provider did not take (refused, throttled
 * past its retries, failed for good) gives its person's cap slot and its cost back; one whose
 * fate is unknown (`uncertain`) keeps both, as it may have gone out.
 */
export async function releaseUnsent(
  ledger: Pick<ContactHistory, 'releaseContacts'> & Pick<RunLedger, 'refundBudget'>,
  unsent: Send[],
  o: { nowMs: number; policy: CampaignPolicy; budgetOf: string },
): Promise<void> {
  if (unsent.length === 0) return;
  await Promise.all([
    ledger.releaseContacts(
      unsent.map((s) => s.p.userId),
      o.nowMs,
    ),
    ledger.refundBudget(
      o.budgetOf,
      unsent.map((s) => s.segments * o.policy.priceMilliYuan),
    ),
  ]);
}
