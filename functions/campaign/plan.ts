/**
 * A dry run: what a run would decide now, without claiming, reserving or sending anything.
 * Contact caps depend on what other campaigns send before this one, so the plan leaves them out.
 */
import { affordable } from '#lib/contacts/buckets';
import { campaignRunKey, type ContactHistory } from '#lib/contacts';
import { profilePages, type ProfileBook, type StoredProfile } from '#lib/profiles';
import { increment } from '#lib/tally';
import type { CampaignDefinition } from './definitions/definition';
import type { PersonalItems } from './personalItems';
import { decideOne } from './policy';
import { itemsFor } from './runCampaign';
import type { Select } from './selection';
import { costYuan } from './smsText';

export interface Plan {
  campaign: string;
  audience: number;
  control: number;
  suppressed: Record<string, number>;
  messages: number;
  segments: number;
  costYuan: number;
}

export async function planCampaign(
  deps: { profiles: ProfileBook; items?: PersonalItems; ledger: ContactHistory; clock: () => number },
  d: CampaignDefinition,
  select: Select,
  priceMilliYuan: number,
): Promise<Plan> {
  const plan: Plan = { campaign: d.id, audience: 0, control: 0, suppressed: {}, messages: 0, segments: 0, costYuan: 0 };
  const segments: number[] = [];
  const run = campaignRunKey(d.id, 'plan');
  // Nothing is sent, so phones stay sealed: a profile with one counts as reachable, as when a run opens it.
  const sealed = { profiles: { phoneOf: (p: StoredProfile) => p.phoneSealed } };
  for await (const page of profilePages(deps.profiles.store)) {
    const selected = await select(page.profiles, deps.clock());
    const items = await itemsFor(deps, d, selected);
    for (const p of selected) {
      plan.audience++;
      const decided = decideOne(sealed, d, run, p, items.get(p.userId));
      if (!('status' in decided)) segments.push(decided.segments);
      else if (decided.status === 'control') plan.control++;
      else if (decided.status === 'suppressed') increment(plan.suppressed, decided.reason);
    }
  }
  const budget = d.budget.yuan === undefined ? {} : { milliYuan: Math.round(d.budget.yuan * 1000) };
  plan.messages = affordable(
    { messages: 0, milliYuan: 0 },
    segments.map((n) => n * priceMilliYuan),
    { messages: d.budget.messages, ...budget },
  );
  if (segments.length > plan.messages) plan.suppressed.budget = segments.length - plan.messages;
  plan.segments = segments.slice(0, plan.messages).reduce((a, b) => a + b, 0);
  plan.costYuan = costYuan(plan.segments, priceMilliYuan / 1000);
  return plan;
}
