/**
 * The served recommendation model, whatever its family: one ONNX graph.
 *   in:  history (item indices, oldest first), history_weight (recency), k, and candidates (items
 *        the caller wants scored too: trending, new arrivals, its own list; may be empty)
 *   out: top_scores, top_items (the k best), top_because (per top item, the history position
 *        that adds most to its score: the reason shown), candidate_scores (the candidates' scores)
 * A term is EASE (B's rows of the history, weighted by recency) or ALS (the user's vector folded
 * in from the history against the item factors, solved in the graph); a blend adds them with
 * weights. Small catalogues score every item; a large one (ALS only) scores the history's
 * neighbours (an items × K table built at training) and the candidates, a few hundred items.
 */
import { buildModel, Nodes, type Initializer } from '#models/onnx/builder';
import type { RotatedAls } from '#models/als/rotation';
import type { Neighbours } from '#models/als/neighbours';
import type { EaseModel } from '#models/ease/ease';

export interface ServedParts {
  items: number;
  /** Weight 1 keeps a term's raw scores. */
  ease?: { model: EaseModel; weight: number };
  als?: { model: RotatedAls; weight: number };
  /** With it, only the history's neighbours and the candidates are scored (ALS alone). */
  neighbours?: Neighbours;
}

/** A family's part of the graph: its scores over a set of items (all when none), and per-history-item contributions to the top items. */
interface Term {
  name: string;
  weight: number;
  scoresAt(set?: string): string;
  contributions(top: string): string;
}

const AXIS0 = 'axis0';
const AXIS1 = 'axis1';

function easeTerm(g: Nodes, init: Initializer[], model: EaseModel, weight: number): Term {
  init.push(
    { name: 'ease_B', type: 'float32', dims: [model.items, model.items], data: model.weights },
    { name: AXIS1, type: 'int64', dims: [1], data: BigInt64Array.of(1n) },
  );
  const rows = g.op('Gather', ['ease_B', 'history'], { axis: 0 }); // [h, items]
  let all: string | undefined;
  const full = () => (all ??= g.op('MatMul', [g.op('Unsqueeze', ['history_weight', AXIS0]), rows])); // [1, items]
  return {
    name: 'ease',
    weight,
    scoresAt: (set) => (set ? g.op('Gather', [full(), set], { axis: 1 }) : full()),
    contributions: (top) => g.op('Mul', [g.op('Gather', [rows, top], { axis: 1 }), g.op('Unsqueeze', ['history_weight', AXIS1])]),
  };
}

/**
 * The fold-in: the user's half-step of training solved exactly for this history (every history
 * item counts once, as in training): u = A⁻¹ Hₕᵀ1, A = HₕᵀHₕ + αHᵀH + λ_u·I, λ_u = λ·(h + α·items).
 * In the eigenbasis of HᵀH (rows Hv = H·V, models/als/rotation.ts) A is D⁻² + HvₕᵀHvₕ with
 * D = (αΛ + λ_u)^−½, so with Y = Hvₕ·D Woodbury gives Hₕ A⁻¹ = (I + YYᵀ)⁻¹ Y D: an h × h inverse.
 * Row j of it scores item i's share from history item j (Hv_i · row j); the user's vector is their sum.
 */
function alsTerm(g: Nodes, init: Initializer[], model: RotatedAls, weight: number): Term {
  const { items, dim } = model;
  init.push(
    { name: 'als_Hv', type: 'float32', dims: [items, dim], data: model.factors },
    { name: 'als_eigen', type: 'float32', dims: [1, dim], data: model.eigen.map((v) => v * model.unobserved) },
    { name: 'als_reg', type: 'float32', dims: [1], data: Float32Array.of(model.reg) },
    { name: 'als_reg_base', type: 'float32', dims: [1], data: Float32Array.of(model.reg * model.unobserved * items) },
  );
  const count = g.op('Cast', [g.op('Shape', ['history'])], { to: 1 });
  const reg = g.op('Add', [g.op('Mul', [count, 'als_reg']), 'als_reg_base']);
  const d = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', ['als_eigen', reg])])]); // [1, dim]
  const y = g.op('Mul', [g.op('Gather', ['als_Hv', 'history'], { axis: 0 }), d]); // [h, dim]
  const yyt = g.op('MatMul', [y, g.op('Transpose', [y], { perm: [1, 0] })]);
  const solved = g.op('MatMul', [g.op('Inverse', [g.op('Add', [g.op('EyeLike', [yyt]), yyt])], undefined, undefined, 'com.microsoft'), y]);
  const shares = g.op('Mul', [solved, d]); // [h, dim]: Hₕ A⁻¹ in the eigenbasis
  const user = g.op('Transpose', [g.op('ReduceSum', [shares, AXIS0], { keepdims: 1 })], { perm: [1, 0] }); // [dim, 1]
  const factorsOf = (set?: string) => (set ? g.op('Gather', ['als_Hv', set], { axis: 0 }) : 'als_Hv');
  return {
    name: 'als',
    weight,
    scoresAt: (set) => g.op('Transpose', [g.op('MatMul', [factorsOf(set), user])], { perm: [1, 0] }), // [1, m]
    contributions: (top) => g.op('MatMul', [shares, g.op('Transpose', [factorsOf(top)], { perm: [1, 0] })]), // [h, k]
  };
}

/**
 * The distinct values of a 1-D int64 tensor: sorted (TopK of their float values, exact below 2²⁴),
 * then each kept where it differs from the one before. onnxruntime's Unique takes several times longer.
 */
function distinct(g: Nodes, values: string): string {
  const order = g.op('Shape', [values]);
  g.multi('TopK', [g.op('Cast', [values], { to: 1 }), order], ['distinct_sorted', 'distinct_order'], { axis: 0 });
  const sorted = g.op('Gather', [values, 'distinct_order'], { axis: 0 });
  const previous = g.op('Concat', ['minus_one', g.op('Slice', [sorted, 'start', 'minus_one'])], { axis: 0 });
  const first = g.op('NonZero', [g.op('Not', [g.op('Equal', [sorted, previous])])]); // [1, distinct]
  return g.op('Gather', [sorted, g.op('Reshape', [first, 'flat'])], { axis: 0 });
}

/** EASE alone in the served graph (benchmarks, tests). */
export const exportEaseRecommender = (model: EaseModel, metadata: Record<string, string> = {}) =>
  exportRecommender({ items: model.items, ease: { model, weight: 1 } }, metadata);

export function exportRecommender(parts: ServedParts, metadata: Record<string, string> = {}): Buffer {
  if (parts.neighbours && parts.ease) throw new Error('neighbour recall serves ALS alone: EASE scores every item anyway');
  const g = new Nodes();
  const init: Initializer[] = [{ name: AXIS0, type: 'int64', dims: [1], data: BigInt64Array.of(0n) }];
  const terms = [
    parts.ease && easeTerm(g, init, parts.ease.model, parts.ease.weight),
    parts.als && alsTerm(g, init, parts.als.model, parts.als.weight),
  ].filter((t): t is Term => t !== undefined);
  if (terms.length === 0) throw new Error('a served model needs EASE, ALS or both');
  for (const t of terms)
    if (t.weight !== 1) init.push({ name: `${t.name}_weight`, type: 'float32', dims: [1], data: Float32Array.of(t.weight) });
  const combined = (part: (t: Term) => string) =>
    terms
      .map((t) => (t.weight === 1 ? part(t) : g.op('Mul', [part(t), `${t.name}_weight`])))
      .reduce((sum, next) => g.op('Add', [sum, next]));

  if (parts.neighbours) {
    const { perItem, items } = parts.neighbours;
    init.push(
      { name: 'neighbours', type: 'int32', dims: [parts.items, perItem], data: items },
      { name: 'flat', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) },
      { name: 'minus_one', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) },
      { name: 'start', type: 'int64', dims: [1], data: BigInt64Array.of(0n) },
    );
    const recalled = g.op('Cast', [g.op('Reshape', [g.op('Gather', ['neighbours', 'history'], { axis: 0 }), 'flat'])], { to: 7 });
    const pool = distinct(g, g.op('Concat', [recalled, 'candidates'], { axis: 0 }));
    const k = g.op('Min', ['k', g.op('Shape', [pool])]);
    g.multi('TopK', [combined((t) => t.scoresAt(pool)), k], ['top_scores', 'top_positions'], { axis: 1 });
    g.op('Gather', [pool, 'top_positions'], { axis: 0 }, 'top_items');
    g.op('Squeeze', [combined((t) => t.scoresAt('candidates')), AXIS0], undefined, 'candidate_scores');
  } else {
    const scores = combined((t) => t.scoresAt());
    g.multi('TopK', [scores, 'k'], ['top_scores', 'top_items'], { axis: 1 });
    g.op('Squeeze', [g.op('Gather', [scores, 'candidates'], { axis: 1 }), AXIS0], undefined, 'candidate_scores');
  }
  const top = g.op('Squeeze', ['top_items', AXIS0]);
  g.op('ArgMax', [combined((t) => t.contributions(top))], { axis: 0, keepdims: 0 }, 'top_because');

  return buildModel({
    name: 'recommender',
    inputs: [
      { name: 'history', type: 'int64', shape: ['h'] },
      { name: 'history_weight', type: 'float32', shape: ['h'] },
      { name: 'k', type: 'int64', shape: [1] },
      { name: 'candidates', type: 'int64', shape: ['c'] },
    ],
    outputs: [
      { name: 'top_scores', type: 'float32', shape: [1, 'k'] },
      { name: 'top_items', type: 'int64', shape: [1, 'k'] },
      { name: 'top_because', type: 'int64', shape: ['k'] },
      { name: 'candidate_scores', type: 'float32', shape: ['c'] },
    ],
    initializers: init,
    nodes: g.list,
    metadata: {
      model: 'recommender',
      family: terms.map((t) => t.name).join('+'),
      items: String(parts.items),
      ...(parts.neighbours && { recall: String(parts.neighbours.perItem) }),
      ...metadata,
    },
  });
}
