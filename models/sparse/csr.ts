/**
 * Interactions as a compressed sparse row matrix: memory in proportion to the interactions,
 * never users × items. Row r's columns are indices[indptr[r] … indptr[r + 1]), each with its value.
 */

export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export const nnz = (m: Csr) => m.indptr[m.rows];
export const rowLength = (m: Csr, r: number) => m.indptr[r + 1] - m.indptr[r];

/** One row per list (columns below `cols`, each once); a value is `weightOf(row, col)`, else 1. */
export function csrFromLists(
  lists: readonly (readonly number[])[],
  cols: number,
  weightOf?: (row: number, col: number) => number | undefined,
): Csr {
  const indptr = new Int32Array(lists.length + 1);
  lists.forEach((list, r) => (indptr[r + 1] = indptr[r] + list.length));
  const indices = new Int32Array(indptr[lists.length]);
  const values = new Float32Array(indices.length).fill(1);
  lists.forEach((list, r) => {
    indices.set(list, indptr[r]);
    if (weightOf) list.forEach((c, k) => (values[indptr[r] + k] = weightOf(r, c) ?? 1));
  });
  return { rows: lists.length, cols, indptr, indices, values };
}

/**
 * From (row, col) pairs in any order, by a counting sort on rows; a pair given more than once
 * keeps its largest value. `values` defaults to 1 for every pair.
 */
export function csrFromPairs(rows: number, cols: number, rowOf: Int32Array, colOf: Int32Array, values?: Float32Array): Csr {
  const counts = new Int32Array(rows + 1);
  for (let k = 0; k < rowOf.length; k++) counts[rowOf[k] + 1]++;
  for (let r = 0; r < rows; r++) counts[r + 1] += counts[r];
  const next = counts.slice(0, rows);
  const indices = new Int32Array(rowOf.length);
  const vals = new Float32Array(rowOf.length);
  for (let k = 0; k < rowOf.length; k++) {
    const at = next[rowOf[k]]++;
    indices[at] = colOf[k];
    vals[at] = values ? values[k] : 1;
  }
  return dedupeRows({ rows, cols, indptr: counts, indices, values: vals });
}

/** Sorts each row's columns and merges repeats (largest value kept), compacting in place. */
function dedupeRows(m: Csr): Csr {
  const indptr = new Int32Array(m.rows + 1);
  let out = 0;
  for (let r = 0; r < m.rows; r++) {
    const start = m.indptr[r];
    const end = m.indptr[r + 1];
    const order = Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) => m.indices[a] - m.indices[b]);
    const cols = order.map((k) => m.indices[k]);
    const vals = order.map((k) => m.values[k]);
    for (let k = 0; k < cols.length; k++) {
      if (out > indptr[r] && m.indices[out - 1] === cols[k]) m.values[out - 1] = Math.max(m.values[out - 1], vals[k]);
      else {
        m.indices[out] = cols[k];
        m.values[out++] = vals[k];
      }
    }
    indptr[r + 1] = out;
  }
  return { rows: m.rows, cols: m.cols, indptr, indices: m.indices.subarray(0, out), values: m.values.subarray(0, out) };
}

/** The transpose (users per item from items per user), in O(nnz). */
export function transpose(m: Csr): Csr {
  const indptr = new Int32Array(m.cols + 1);
  for (let k = 0; k < nnz(m); k++) indptr[m.indices[k] + 1]++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1] += indptr[c];
  const next = indptr.slice(0, m.cols);
  const indices = new Int32Array(nnz(m));
  const values = new Float32Array(nnz(m));
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const at = next[m.indices[k]]++;
      indices[at] = r;
      values[at] = m.values[k];
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

/** Per row, the sum of its values. */
export function rowSums(m: Csr): Float64Array {
  const sums = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) sums[r] += m.values[k];
  return sums;
}
