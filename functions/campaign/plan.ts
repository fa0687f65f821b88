/**
 * A dry run: what a run would decide now, without claiming, reserving or sending anything.
 * Contact caps depend on what other campaigns send before this one, so the plan leaves them out.
 */
import { affordable } from '#lib/contacts/buckets';
import type { ProfileBook } from '#lib/profiles';
import type { CampaignDefinition } from './definition';
import type { PersonalItems } from './personalItems';
import { decideOne, itemsFor, runKeyOf } from './runCampaign';
import type { Select } from './selection';

export interface Plan {
  campaign: string;
  audience: number;
  control: number;
  suppressed: Record<string, number>;
  messages: number;
  segments: number;
  costYuan: number;
}

export async function planCampaign(deps: { profiles: ProfileBook; items?: PersonalItems; clock: () => number }, d: CampaignDefinition, select: Select, priceMilliYuan: number): Promise<Plan> {
  const plan: Plan = { campaign: d.id, audience: 0, control: 0, suppressed: {}, messages: 0, segments: 0, costYuan: 0 };
  const costs: number[] = [];
  const segments: number[] = [];
  const run = runKeyOf(d, 'plan');
  let cursor: string | undefined;
  do {
    const page = await deps.profiles.store.scan(cursor, 1000);
    const selected = await select(page.profiles, deps.clock());
    const items = await itemsFor(deps, d, selected);
    for (const p of selected) {
      plan.audience++;
      const decided = decideOne(deps, d, run, p, items.get(p.userId));
      if (!('status' in decided)) {
        costs.push(decided.segments * priceMilliYuan);
        segments.push(decided.segments);
      } else if (decided.status === 'control') plan.control++;
      else if (decided.status === 'suppressed') plan.suppressed[decided.reason] = (plan.suppressed[decided.reason] ?? 0) + 1;
    }
    cursor = page.next;
  } while (cursor);
  const budget = d.budget.yuan === undefined ? {} : { milliYuan: Math.round(d.budget.yuan * 1000) };
  plan.messages = affordable({ messages: 0, milliYuan: 0 }, costs, { messages: d.budget.messages, ...budget });
  if (costs.length > plan.messages) plan.suppressed.budget = costs.length - plan.messages;
  plan.segments = segments.slice(0, plan.messages).reduce((a, b) => a + b, 0);
  plan.costYuan = costs.slice(0, plan.messages).reduce((a, b) => a + b, 0) / 1000;
  return plan;
}
