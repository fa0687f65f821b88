/**
 * Who a run decides on: the profiles in the audience (rules, or an uploaded id list) and, when
 * the campaign scores, those whose purchase propensity reaches its threshold. The propensity
 * champion stands in for uplift until control groups have produced an uplift model.
 */
import type { FeatureStore, UserFeatures } from '#lib/featureStore';
import type { ObjectStore } from '#lib/objectStore';
import type { StoredProfile } from '#lib/profiles/port';
import { unprocessable } from '#lib/errors';
import { propensityFeatures } from '#models/propensity/features';
import { PROPENSITY_MODEL, PropensityScorer } from '#models/propensity/serving';
import { ModelRegistry } from '#models/registry';
import { inAudience, needsFeatures } from './audience';
import type { CampaignDefinition } from './definition';

export interface SelectionDeps {
  objects: ObjectStore;
  features: FeatureStore;
}

/** Selects from one page of profiles; build once per run (it loads the list or the model). */
export type Select = (profiles: StoredProfile[], nowMs: number) => Promise<StoredProfile[]>;

export async function selectionFor(deps: SelectionDeps, d: CampaignDefinition): Promise<Select> {
  const scoring = d.scoring;
  if ('topK' in scoring) throw unprocessable('not_supported', `${d.id}: top_k scoring needs a planned run, which is not built yet; use a threshold`);
  const listed = d.audience.kind === 'list' ? await idList(deps.objects, d.audience.listKey) : undefined;
  const rules = d.audience.kind === 'rules' ? d.audience.rules : [];
  const scorer = scoring.model === 'none' ? undefined : await champion(deps.objects, d.id);
  const wantFeatures = needsFeatures(rules) || scorer !== undefined;

  return async (profiles, nowMs) => {
    const candidates = listed ? profiles.filter((p) => listed.has(p.userId)) : profiles;
    const features: (UserFeatures | undefined)[] = wantFeatures ? await Promise.all(candidates.map((p) => deps.features.user(p.userId, nowMs))) : [];
    const inRules = candidates.flatMap((p, i) => (inAudience(rules, p, features[i], nowMs) ? [{ p, f: features[i] }] : []));
    if (!scorer || !('threshold' in scoring)) return inRules.map(({ p }) => p);
    const scores = await scorer.score(inRules.map(({ f }) => propensityFeatures(f!, nowMs)));
    return inRules.filter((_, i) => scores[i] >= scoring.threshold).map(({ p }) => p);
  };
}

async function idList(objects: ObjectStore, key: string): Promise<Set<string>> {
  const body = await objects.get(key);
  if (!body) throw unprocessable('list_gone', `audience list ${key} is gone`);
  return new Set(body.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean));
}

async function champion(objects: ObjectStore, campaignId: string): Promise<PropensityScorer> {
  const registry = new ModelRegistry(objects);
  const current = await registry.current(PROPENSITY_MODEL);
  const model = current && (await registry.model(PROPENSITY_MODEL, current.version));
  if (!model) throw unprocessable('no_model', `${campaignId} scores people, but no ${PROPENSITY_MODEL} model is registered yet (train runs daily)`);
  return PropensityScorer.load(model);
}
