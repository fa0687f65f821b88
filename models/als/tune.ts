/**
 * The tuning of ALS on a validation split (models/shared/holdOut.ts): λ and α by a coordinate
 * search on the smallest dimension, then larger dimensions with them while they help. The epochs
 * are not searched: every fit is scored after each epoch and stops once it has not improved for a
 * while, so a trial also says how many epochs its setting wants. α is searched as the weight all unobserved items of
 * a user carry against their observed ones (α·items / mean history length), a ratio that good
 * settings share across catalogues of very different sizes.
 */
import { csrFromLists, nnz, type Csr } from '#models/sparse/csr';
import { ndcgOf, type HoldOut } from '#models/shared/holdOut';
import { fitAls, type AlsFit, type AlsParams, type AlsTrainer } from './als';
import { ValidationScorer } from './validation';

const REGS = [0.001, 0.003, 0.01, 0.03, 0.1];
/** α·items / mean history length. */
const UNOBSERVED_RATIOS = [0.25, 0.5, 1, 2, 4, 8, 16, 32];
const START = { reg: 2, unobserved: 4 };
/** Settings the λ/α search may try: it moves to the best neighbour until none is better. */
const MAX_SEARCH_TRIALS = 14;
/** A neighbour's steps in (λ, α) index: along each axis, and the diagonal where more α wants less λ. */
const MOVES = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
  [-1, 1],
  [1, -1],
];
const MAX_EPOCHS = 16;
/** Epochs without a better validation score before a trial stops. */
const PATIENCE = 2;

export interface AlsTuned {
  params: AlsParams;
  validationNdcg: number;
  /** The fit at its best epoch (later fits continue from it). */
  fit: AlsFit;
  /** Per validation case, its candidates' scores (for blending). */
  scores: Float32Array[];
}

export interface AlsSearch {
  /** Dimensions to try, smallest first: the smallest carries the λ/α search. */
  dims: number[];
  onTrial?: (trial: AlsTuned) => void;
}

const copyOf = (fit: AlsFit): AlsFit => ({
  model: { ...fit.model, itemFactors: fit.model.itemFactors.slice() },
  userFactors: fit.userFactors.slice(),
});

async function trial(x: Csr, validation: ValidationScorer, setting: Omit<AlsParams, 'epochs'>, trainer: AlsTrainer): Promise<AlsTuned> {
  let best: AlsTuned | undefined;
  await fitAls(
    x,
    { ...setting, epochs: MAX_EPOCHS },
    {
      trainer,
      onEpoch: async (epoch, fit) => {
        const scores = await validation.scores(fit);
        const ndcg = ndcgOf(scores);
        if (!best || ndcg > best.validationNdcg)
          best = { params: { ...setting, epochs: epoch }, validationNdcg: ndcg, fit: copyOf(fit), scores };
        return epoch - best.params.epochs < PATIENCE;
      },
    },
  );
  return best!;
}

export async function tuneAls(split: HoldOut, items: number, trainer: AlsTrainer, search: AlsSearch): Promise<AlsTuned> {
  const x = csrFromLists(split.fit, items);
  const validation = await ValidationScorer.create(split);
  const meanHistory = nnz(x) / Math.max(1, x.rows);
  const tried = new Map<string, AlsTuned>();
  const run = async (r: number, a: number, dim: number) => {
    const key = `${r}/${a}/${dim}`;
    if (!tried.has(key)) {
      const t = await trial(x, validation, { dim, reg: REGS[r], unobserved: (UNOBSERVED_RATIOS[a] * meanHistory) / items }, trainer);
      search.onTrial?.(t);
      tried.set(key, t);
    }
    return tried.get(key)!;
  };
  const [small, ...larger] = search.dims;
  let at = START;
  let best = await run(at.reg, at.unobserved, small);
  for (;;) {
    const inRange = (m: typeof at) => m.reg >= 0 && m.reg < REGS.length && m.unobserved >= 0 && m.unobserved < UNOBSERVED_RATIOS.length;
    const moves = MOVES.map(([r, a]) => ({ reg: at.reg + r, unobserved: at.unobserved + a })).filter(inRange);
    let moved = false;
    for (const m of moves) {
      if (tried.size >= MAX_SEARCH_TRIALS) break;
      const t = await run(m.reg, m.unobserved, small);
      if (t.validationNdcg > best.validationNdcg) [best, at, moved] = [t, m, true];
    }
    if (!moved) break;
  }
  for (const dim of larger) {
    const t = await run(at.reg, at.unobserved, dim);
    if (t.validationNdcg <= best.validationNdcg) break;
    best = t;
  }
  await validation.release();
  return best;
}
