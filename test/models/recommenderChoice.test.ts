/** Choosing the recommendation model on validation: EASE, ALS, or a blend with a tuned weight (0 and 1 allowed). */
import { seededRandom } from '#lib/random';
import { chooseBlend, EASE_MAX_ITEMS, tuneRecommender } from '#models/recommender/train';

/** Per case: the target first, then the negatives; each family's scores given as the order it ranks them in. */
const scored = (orders: number[][]) => orders.map((order) => Float64Array.from(order, (rank) => 1 / (rank + 1)));

describe('choosing among EASE, ALS and their blend', () => {
  // Four cases of three candidates (target first). Ranks are 0 for the best.
  const perfect = scored([
    [0, 1, 2],
    [0, 2, 1],
    [0, 1, 2],
    [0, 2, 1],
  ]);
  const poor = scored([
    [2, 0, 1],
    [2, 1, 0],
    [1, 2, 0],
    [2, 0, 1],
  ]);

  it('keeps EASE alone (weight 0) when ALS adds nothing, and ALS alone (weight 1) when it is the better', () => {
    expect(chooseBlend(perfect, poor)).toMatchObject({ family: 'ease', weights: { ease: 1, als: 0 }, ndcg: 1 });
    expect(chooseBlend(poor, perfect)).toMatchObject({ family: 'als', weights: { ease: 0, als: 1 }, ndcg: 1 });
  });

  it('blends when neither alone ranks every target first but together they do', () => {
    // Each family puts the target second in two cases, behind a different negative than the other does.
    const ease = [Float64Array.of(0.9, 1, 0), Float64Array.of(1, 0, 0.5), Float64Array.of(0.9, 1, 0), Float64Array.of(1, 0.5, 0)];
    const als = [Float64Array.of(1, 0, 0.5), Float64Array.of(0.9, 0, 1), Float64Array.of(1, 0.5, 0), Float64Array.of(0.9, 0, 1)];
    const choice = chooseBlend(ease, als);
    expect(choice.family).toBe('blend');
    expect(choice.ndcg).toBe(1);
    expect(choice.weights.ease).toBeGreaterThan(0);
    expect(choice.weights.als).toBeGreaterThan(0);
  });

  it('takes ALS when EASE was not tried', () => {
    expect(chooseBlend(undefined, poor)).toMatchObject({ family: 'als', weights: { ease: 0, als: 1 } });
  });
});

describe('tuning on validation', () => {
  /** Users of four clusters of `items / 4` items, oldest first. */
  const clustered = (users: number, items: number) => {
    const rand = seededRandom(3);
    return Array.from({ length: users }, (_, u) => [
      ...new Set(Array.from({ length: 6 }, () => (u % 4) * Math.floor(items / 4) + Math.floor(rand() * 12))),
    ]);
  };

  it('tries both families on a small catalogue and records each one’s validation score beside the chosen', async () => {
    const trialDims: number[] = [];
    const onProgress = (stage: string) =>
      stage.startsWith('ALS ') && trialDims.push(JSON.parse(stage.slice(4, stage.indexOf('}') + 1)).dim);
    const { recipe, als } = await tuneRecommender(clustered(160, 48), 48, true, { onProgress });
    expect(new Set(trialDims)).toEqual(new Set([64])); // 48 items: a larger dimension has no rank left to gain
    expect(recipe.validationNdcg.ease).toBeGreaterThan(0.3);
    expect(recipe.validationNdcg.als).toBeGreaterThan(0.3);
    expect(recipe.validationNdcg.chosen).toBeGreaterThanOrEqual(Math.max(recipe.validationNdcg.ease!, recipe.validationNdcg.als!));
    expect(Boolean(recipe.ease)).toBe(recipe.weights.ease > 0);
    expect(Boolean(recipe.als)).toBe(recipe.weights.als > 0);
    if (recipe.als) expect(als).toBeDefined(); // the fit to continue from
  });

  it('leaves a catalogue too large for EASE to ALS alone', async () => {
    const { recipe } = await tuneRecommender(clustered(120, EASE_MAX_ITEMS + 4), EASE_MAX_ITEMS + 4, false);
    expect(recipe).toMatchObject({ family: 'als', weights: { ease: 0, als: 1 } });
    expect(recipe.validationNdcg.ease).toBeUndefined();
    expect(recipe.als!.epochs).toBeGreaterThan(0);
  }, 120_000); // a full ALS search: seconds alone, longer beside other suites
});
