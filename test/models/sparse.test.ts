/** The sparse interaction builder: CSR from lists and from pairs, its transpose, and padded batches. */
import fc from 'fast-check';
import { paddedBatches } from '#models/sparse/batches';
import { csrFromLists, csrFromPairs, nnz, rowSums, transpose, type Csr } from '#models/sparse/csr';

/** Row r as [col, value] pairs. */
const rowOf = (m: Csr, r: number) => Array.from(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), (c, k) => [c, m.values[m.indptr[r] + k]]);

describe('CSR', () => {
  it('holds each list as a row, with its weights (1 where none is given)', () => {
    const m = csrFromLists([[2, 0], [], [1]], 3, (r, c) => (r === 0 && c === 0 ? 0.5 : undefined));
    expect([m.rows, m.cols, nnz(m)]).toEqual([3, 3, 3]);
    expect([0, 1, 2].map((r) => rowOf(m, r))).toEqual([
      [
        [2, 1],
        [0, 0.5],
      ],
      [],
      [[1, 1]],
    ]);
    expect(Array.from(rowSums(m))).toEqual([1.5, 0, 1]);
  });

  it('from pairs in any order: rows sorted by column, a repeated pair once with its largest value', () => {
    const m = csrFromPairs(2, 4, Int32Array.of(1, 0, 1, 0, 1), Int32Array.of(3, 2, 0, 2, 3), Float32Array.of(0.25, 1, 1, 2, 0.75));
    expect(nnz(m)).toBe(3);
    expect([rowOf(m, 0), rowOf(m, 1)]).toEqual([
      [[2, 2]],
      [
        [0, 1],
        [3, 0.75],
      ],
    ]);
  });

  it('transposes without losing or inventing an entry, and twice gives the matrix back', () => {
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 6 }), { maxLength: 12 }), (lists) => {
        const m = csrFromLists(lists, 10, (r, c) => r + c / 10);
        const t = transpose(m);
        expect([t.rows, t.cols, nnz(t)]).toEqual([10, lists.length, nnz(m)]);
        lists.forEach((list, r) => list.forEach((c) => expect(rowOf(t, c)).toContainEqual([r, expect.closeTo(r + c / 10, 5)])));
        const back = transpose(t);
        lists.forEach((list, r) => expect(rowOf(back, r).map(([c]) => c)).toEqual([...list].sort((a, b) => a - b)));
      }),
    );
  });
});

describe('padded batches', () => {
  it('cover every entry once, pad with the pad index and value 0, stay within the slot budget and waste at most a quarter', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 49 }), { maxLength: 40 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 120 }),
        (lists, maxSlots) => {
          const m = csrFromLists(lists, 50);
          const batches = paddedBatches(m, maxSlots, 50);
          const seen = new Map<number, number[]>();
          for (const b of batches) {
            const width = b.width;
            if (b.rows.length > 1) expect(b.rows.length * width).toBeLessThanOrEqual(maxSlots);
            b.rows.forEach((r, k) => {
              const slots = Array.from(b.indices.subarray(k * width, (k + 1) * width));
              const values = Array.from(b.values.subarray(k * width, (k + 1) * width));
              const real = lists[r].length;
              expect(slots.slice(real)).toEqual(Array(width - real).fill(50));
              expect(values.slice(real)).toEqual(Array(width - real).fill(0));
              expect(Math.max(real, 1)).toBeGreaterThanOrEqual(0.75 * width);
              expect(seen.has(r)).toBe(false);
              seen.set(r, slots.slice(0, real));
            });
          }
          expect([...seen.keys()].sort((a, b) => a - b)).toEqual(lists.map((_, r) => r));
          lists.forEach((list, r) => expect(seen.get(r)).toEqual(list));
        },
      ),
    );
  });
});
