/**
 * A CSR matrix cut into padded batches for batched graphs: rows sorted by length, so each batch
 * holds rows of about the same length and padding wastes little. A padded slot points at `pad`
 * (a zero row of the gathered matrix) with value 0.
 */
import { rowLength, type Csr } from './csr';

export interface PaddedBatch {
  /** The CSR rows in this batch, in batch order. */
  rows: Int32Array;
  /** Padded row length. */
  width: number;
  /** rows.length × width column indices (`pad` in padded slots). */
  indices: Int32Array;
  /** rows.length × width values (0 in padded slots). */
  values: Float32Array;
}

/** A batch takes rows down to this fraction of its longest: at most a quarter of its slots are padding. */
const SHORTEST = 0.75;

/** Batches of at most `maxSlots` padded slots each (a longer row gets a batch of its own). */
export function paddedBatches(m: Csr, maxSlots: number, pad: number): PaddedBatch[] {
  // An empty row still takes one slot.
  const slotsOf = (r: number) => Math.max(1, rowLength(m, r));
  const order = Int32Array.from({ length: m.rows }, (_, r) => r).sort((a, b) => rowLength(m, b) - rowLength(m, a));
  const batches: PaddedBatch[] = [];
  for (let start = 0; start < order.length; ) {
    const width = slotsOf(order[start]);
    const most = Math.max(1, Math.min(order.length - start, Math.floor(maxSlots / width)));
    let count = 1;
    while (count < most && slotsOf(order[start + count]) >= SHORTEST * width) count++;
    const rows = order.slice(start, start + count);
    const indices = new Int32Array(count * width).fill(pad);
    const values = new Float32Array(count * width);
    rows.forEach((r, b) => {
      indices.set(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), b * width);
      values.set(m.values.subarray(m.indptr[r], m.indptr[r + 1]), b * width);
    });
    batches.push({ rows, width, indices, values });
    start += count;
  }
  return batches;
}
