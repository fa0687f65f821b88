/**
 * Who a run decides on: the profiles in the audience (rules, or an uploaded id list) and, when
 * the campaign scores, those whose purchase propensity reaches its threshold or is among the
 * top K of the whole audience. `uplift` scoring ranks by the uplift champion's uplift; the propensity
 * champion stands in for it until control groups have produced an uplift model.
 */
import type { FeatureStore, UserFeatures } from '#lib/featureStore';
import type { Logger } from '#lib/log';
import type { ObjectStore } from '#lib/objectStore';
import { profilePages, type ProfileBook } from '#lib/profiles';
import type { StoredProfile } from '#lib/profiles/port';
import { unprocessable } from '#lib/errors';
import { propensityFeatures } from '#models/propensity/features';
import { PROPENSITY_MODEL, PropensityScorer } from '#models/propensity/serving';
import { ModelRegistry } from '#models/registry';
import { UPLIFT_MODEL, UpliftScorer } from '#models/uplift/serving';
import { inAudience, needsFeatures } from './audience';
import type { CampaignDefinition } from './definitions/definition';
import { TOP_K_PREFIX } from '#lib/objectStore/keys';

export interface SelectionDeps {
  objects: ObjectStore;
  features: FeatureStore;
  /** Read whole once, ahead of the run, when the campaign takes its top K. */
  profiles: ProfileBook;
  clock: () => number;
  /** Told which model scores a campaign. */
  logger?: Logger;
}

/** Selects from one page of profiles; build once per run (it loads the list or the model). */
export type Select = (profiles: StoredProfile[], nowMs: number) => Promise<StoredProfile[]>;

/** `run` names the run a selection is for, so its top K is chosen once and shared by its chunks. */
export async function selectionFor(deps: SelectionDeps, d: CampaignDefinition, run?: string): Promise<Select> {
  const scoring = d.scoring;
  const listed = d.audience.kind === 'list' ? await idList(deps.objects, d.audience.listKey) : undefined;
  const rules = d.audience.kind === 'rules' ? d.audience.rules : [];
  const scorer = scoring.model === 'none' ? undefined : await champion(deps, d);
  const wantFeatures = needsFeatures(rules) || scorer !== undefined;

  /** The page's people in the audience, each with a score when the campaign scores. */
  const scored = async (profiles: StoredProfile[], nowMs: number) => {
    const candidates = listed ? profiles.filter((p) => listed.has(p.userId)) : profiles;
    const features: (UserFeatures | undefined)[] = wantFeatures
      ? await Promise.all(candidates.map((p) => deps.features.user(p.userId, nowMs)))
      : [];
    const inRules = candidates.flatMap((p, i) => (inAudience(rules, p, features[i], nowMs) ? [{ p, f: features[i] }] : []));
    const scores = scorer ? await scorer.score(inRules.map(({ f }) => propensityFeatures(f!, nowMs))) : undefined;
    return inRules.map(({ p }, i) => ({ p, score: scores?.[i] ?? 0 }));
  };
  if (scoring.model !== 'none' && scoring.threshold !== undefined) {
    const threshold = scoring.threshold;
    return async (profiles, nowMs) => (await scored(profiles, nowMs)).filter((s) => s.score >= threshold).map((s) => s.p);
  }
  if (scoring.model !== 'none' && scoring.topK !== undefined) {
    const k = scoring.topK;
    const chosen = run ? await chosenOnce(deps.objects, run, () => topK(deps, scored, k)) : await topK(deps, scored, k);
    return async (profiles) => profiles.filter((p) => chosen.has(p.userId));
  }
  return async (profiles, nowMs) => (await scored(profiles, nowMs)).map((s) => s.p);
}

/** The K best-scored people of the whole audience: one pass over every profile before the run. */
async function topK(
  deps: SelectionDeps,
  scored: (p: StoredProfile[], nowMs: number) => Promise<{ p: StoredProfile; score: number }[]>,
  k: number,
): Promise<Set<string>> {
  let best: { id: string; score: number }[] = [];
  for await (const page of profilePages(deps.profiles.store)) {
    for (const { p, score } of await scored(page.profiles, deps.clock())) best.push({ id: p.userId, score });
    if (best.length > 2 * k) best = best.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
  }
  return new Set(
    best
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .slice(0, k)
      .map((b) => b.id),
  );
}

/** A run's top K as first chosen (kept beside the run's state), or chosen now and kept. */
async function chosenOnce(objects: ObjectStore, run: string, choose: () => Promise<Set<string>>): Promise<Set<string>> {
  const key = `${TOP_K_PREFIX}${run}.txt`;
  const kept = await objects.get(key);
  if (kept) return new Set(kept.toString('utf8').split('\n').filter(Boolean));
  const chosen = await choose();
  await objects.put(key, Buffer.from([...chosen].join('\n')), { contentType: 'text/plain' });
  return chosen;
}

async function idList(objects: ObjectStore, key: string): Promise<Set<string>> {
  const body = await objects.get(key);
  if (!body) throw unprocessable('list_gone', `audience list ${key} is gone`);
  return new Set(
    body
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

/**
 * What a scoring campaign ranks people by, from their propensity features: for `uplift`, the
 * uplift champion's uplift; for `propensity`, and for `uplift` while no uplift model is
 * registered (cold start), the propensity champion's score.
 */
async function champion(
  deps: Pick<SelectionDeps, 'objects' | 'logger'>,
  d: CampaignDefinition,
): Promise<{ score(rows: Float64Array[]): Promise<ArrayLike<number>> }> {
  const registry = new ModelRegistry(deps.objects);
  const uplift = d.scoring.model === 'uplift' ? await registry.champion(UPLIFT_MODEL) : undefined;
  if (uplift) {
    deps.logger?.info('campaign scoring model', {
      campaign: d.id,
      scoring: d.scoring.model,
      model: UPLIFT_MODEL,
      version: uplift.meta.version,
    });
    const scorer = await UpliftScorer.load(uplift.bytes);
    return { score: async (rows) => (await scorer.score(rows)).uplift };
  }
  const propensity = await registry.champion(PROPENSITY_MODEL);
  if (!propensity)
    throw unprocessable('no_model', `${d.id} scores people, but no ${PROPENSITY_MODEL} model is registered yet (train runs daily)`);
  deps.logger?.info('campaign scoring model', {
    campaign: d.id,
    scoring: d.scoring.model,
    model: PROPENSITY_MODEL,
    version: propensity.meta.version,
    coldStart: d.scoring.model === 'uplift',
  });
  return PropensityScorer.load(propensity.bytes);
}
