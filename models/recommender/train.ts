/**
 * Training the recommendation model. Each family that suits the data is tuned on one validation
 * split (EASE where the catalogue is small enough, ALS always); EASE, ALS or a blend of the two is
 * chosen by validation NDCG@10, the blend's weight tuned with 0 and 1 allowed; then the choice is
 * fitted on the data given. A fit may continue from an earlier one (ALS adds a few epochs to its
 * factors), which is how a refit on all the data reuses the fit that was evaluated.
 */
import { seededRandom, shuffled } from '#lib/random';
import { AlsTrainer, fitAls, type AlsFit, type AlsParams } from '#models/als/als';
import { nearestItems } from '#models/als/neighbours';
import { rotate } from '#models/als/rotation';
import { tuneAls } from '#models/als/tune';
import { EaseTrainer, fitEase, type EaseModel, type InteractionWeights } from '#models/ease/ease';
import { NO_RECENCY, type Recency } from '#models/shared/recency';
import { tuneEase } from '#models/ease/tune';
import type { Provider } from '#models/onnx/executionProvider';
import { ndcgOf, validationSplit, type CaseScores } from '#models/shared/holdOut';
import { csrFromLists } from '#models/sparse/csr';
import { exportRecommender } from './graph';

/** EASE's B holds items² floats and its solve costs items³: beyond this, two versions no longer fit recommend's memory. */
export const EASE_MAX_ITEMS = 10_000;
/** From this many items, serving scores the history's neighbours and the candidates, not every item. */
export const RECALL_FROM_ITEMS = 20_000;
const NEIGHBOURS_PER_ITEM = 32;
/**
 * ALS dimensions tried, smallest first, while (users + items) × d stays within MAX_FACTOR_FLOATS;
 * a larger one only below the number of items (past it the factors have no rank left to gain).
 */
const DIMS = [64, 128, 192, 256, 384];
const MAX_FACTOR_FLOATS = 1 << 27;
/** Tuning runs on a sample of users holding at most this many interactions. */
const MAX_TUNING_INTERACTIONS = 3_000_000;
/** Epochs a continued ALS fit adds to the factors it starts from. */
const CONTINUED_EPOCHS = 3;
const BLEND_STEPS = 10;

export type Family = 'ease' | 'als' | 'blend';

/** What to fit: the families chosen, their settings, and how their scores add up. */
export interface Recipe {
  family: Family;
  ease?: { lambda: number; weighted: boolean };
  als?: AlsParams;
  /** The history weighting (EASE's; ALS folds every history item in once). */
  recency: Recency;
  /** Multipliers of each family's raw scores (0: not used). */
  weights: { ease: number; als: number };
  validationNdcg: { ease?: number; als?: number; chosen: number };
}

export interface Fitted {
  recipe: Recipe;
  items: number;
  ease?: EaseModel;
  als?: AlsFit;
}

export interface TrainOptions {
  provider?: Provider;
  /** Interaction weights (raw-log data): EASE's tuning decides whether they beat binary X. */
  weights?: InteractionWeights;
  /** One family alone, for comparisons (else chosen on validation). */
  only?: 'ease' | 'als';
  onProgress?: (stage: string) => void;
}

/** Standard deviation of every score: blends add scores on one scale. */
function spread(scores: CaseScores[]): number {
  let [n, sum, squares] = [0, 0, 0];
  for (const s of scores) for (const v of s) [n, sum, squares] = [n + 1, sum + v, squares + v * v];
  return Math.sqrt(Math.max(squares / n - (sum / n) ** 2, 1e-12));
}

/**
 * EASE alone, ALS alone, or (1 − w)·EASE + w·ALS on one scale, whichever ranks the validation
 * cases best (per case, its candidates' scores; ties go to the simpler).
 */
export function chooseBlend(
  ease: CaseScores[] | undefined,
  als: CaseScores[] | undefined,
): Pick<Recipe, 'family' | 'weights'> & { ndcg: number } {
  const easeAlone = ease && { family: 'ease' as Family, weights: { ease: 1, als: 0 }, ndcg: ndcgOf(ease) };
  const alsAlone = als && { family: 'als' as Family, weights: { ease: 0, als: 1 }, ndcg: ndcgOf(als) };
  if (!ease || !als) return (easeAlone ?? alsAlone)!;
  let best = alsAlone!.ndcg > easeAlone!.ndcg ? alsAlone! : easeAlone!;
  const [se, sa] = [spread(ease), spread(als)];
  for (let step = 1; step < BLEND_STEPS; step++) {
    const w = step / BLEND_STEPS;
    const weights = { ease: (1 - w) / se, als: w / sa };
    const ndcg = ndcgOf(ease.map((e, n) => Float64Array.from(e, (v, c) => weights.ease * v + weights.als * als[n][c])));
    if (ndcg > best.ndcg) best = { family: 'blend', weights, ndcg };
  }
  return best;
}

/** Users drawn at random until they hold `max` interactions (all of them when they hold fewer). */
function sampleUsers(byUser: number[][], max: number): number[] {
  const all = byUser.map((_, u) => u);
  if (byUser.reduce((n, l) => n + l.length, 0) <= max) return all;
  const picked: number[] = [];
  let held = 0;
  for (const u of shuffled(all, seededRandom(5))) {
    if (held + byUser[u].length > max) break;
    picked.push(u);
    held += byUser[u].length;
  }
  return picked.sort((a, b) => a - b);
}

/**
 * Tunes the families on a validation split of `byUser` and chooses among them. The result is the
 * recipe with, when ALS was tuned on every user, its validation fit to continue from.
 */
export async function tuneRecommender(byUser: number[][], items: number, chronological: boolean, o: TrainOptions = {}): Promise<Fitted> {
  const users = sampleUsers(byUser, MAX_TUNING_INTERACTIONS);
  const sample = users.length === byUser.length ? byUser : users.map((u) => byUser[u]);
  const split = validationSplit(sample, items, chronological);
  o.onProgress?.(`validation: ${split.cases.length} cases from ${sample.length} users`);
  const ease =
    items <= EASE_MAX_ITEMS && o.only !== 'als'
      ? await tuneEase(split, items, chronological, await EaseTrainer.create(o.provider), o.weights && users.map((u) => o.weights![u]))
      : undefined;
  if (ease) o.onProgress?.(`EASE λ ${ease.lambda}: validation NDCG@10 ${ease.validationNdcg.toFixed(4)}`);
  const dims = DIMS.filter((d, k) => d * (byUser.length + items) <= MAX_FACTOR_FLOATS && (k === 0 || d < items));
  const als =
    o.only === 'ease' && ease
      ? undefined
      : await tuneAls(split, items, await AlsTrainer.create(o.provider), {
          dims,
          onTrial: (t) => o.onProgress?.(`ALS ${JSON.stringify(t.params)}: validation NDCG@10 ${t.validationNdcg.toFixed(4)}`),
        });
  const choice = chooseBlend(ease?.scores, als?.scores);
  const recipe: Recipe = {
    family: choice.family,
    ease: ease && choice.weights.ease > 0 ? { lambda: ease.lambda, weighted: ease.weighted } : undefined,
    als: als && choice.weights.als > 0 ? als.params : undefined,
    recency: ease && choice.weights.ease > 0 ? ease.recency : NO_RECENCY,
    weights: choice.weights,
    validationNdcg: { ease: ease?.validationNdcg, als: als?.validationNdcg, chosen: choice.ndcg },
  };
  o.onProgress?.(`chosen: ${recipe.family} (validation NDCG@10 ${choice.ndcg.toFixed(4)})`);
  return { recipe, items, als: recipe.als && sample === byUser ? als!.fit : undefined };
}

/** Fits the recipe on `byUser`; ALS continues from `from` (same users and items) when given, else starts afresh. */
export async function fitRecommender(
  recipe: Recipe,
  byUser: number[][],
  items: number,
  o: TrainOptions & { from?: Fitted } = {},
): Promise<Fitted> {
  const ease =
    recipe.ease &&
    (await fitEase(byUser, items, recipe.ease.lambda, await EaseTrainer.create(o.provider), recipe.ease.weighted ? o.weights : undefined));
  let als: AlsFit | undefined;
  if (recipe.als) {
    const start = o.from?.als && o.from.als.userFactors.length === byUser.length * recipe.als.dim ? o.from.als : undefined;
    const params = start ? { ...recipe.als, epochs: CONTINUED_EPOCHS } : recipe.als;
    als = await fitAls(csrFromLists(byUser, items), params, { trainer: await AlsTrainer.create(o.provider), from: start });
  }
  return { recipe, items, ease, als };
}

/** Neighbours per item when the fit is served by recall (ALS alone over a large catalogue), else undefined: every item is scored. */
export const recallOf = (f: Fitted) => (f.als && !f.ease && f.items >= RECALL_FROM_ITEMS ? NEIGHBOURS_PER_ITEM : undefined);

/** The served graph of a fit. */
export async function exportFitted(f: Fitted, provider?: Provider): Promise<Buffer> {
  const { weights } = f.recipe;
  const recall = recallOf(f);
  const als = f.als && (await rotate(f.als.model, provider));
  const neighbours = recall ? await nearestItems(als!, recall, provider) : undefined;
  return exportRecommender(
    {
      items: f.items,
      ease: f.ease && { model: f.ease, weight: weights.ease },
      als: als && { model: als, weight: weights.als },
      neighbours,
    },
    { family: f.recipe.family, recency: JSON.stringify(f.recipe.recency) },
  );
}
