/** The pure parts of recommend: variety, new-arrival slots, reasons, the catalogue file. */
import { Catalog } from '#lib/catalog';
import { becauseOf, listRanking, type Pick } from '../../functions/recommend/ranking';
import { categoryCap, diversify, withNewArrivals } from '../../functions/recommend/rules';

const picks = (ids: string[]): Pick[] => ids.map((itemId, i) => ({ itemId, score: 100 - i, reason: 'r' }));
const categoryOf = ({ itemId }: Pick) => (itemId.startsWith('x') ? undefined : itemId[0]);
const ranking = (ids: string[]) => listRanking(picks(ids), () => true, categoryOf);

describe('diversify', () => {
  it('caps each category at 30% of the list, in rank order', () => {
    expect(categoryCap(10)).toBe(3);
    const out = diversify(ranking(['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2', 'b3', 'b4', 'c1', 'c2', 'x1', 'x2', 'x3']), 10);
    expect(out.map((p) => p.itemId)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2', 'x1', 'x2']);
  });

  it('fills a short list from the capped items rather than answering fewer', () => {
    const out = diversify(ranking(['a1', 'a2', 'a3', 'a4', 'b1', 'a5']), 5);
    expect(categoryCap(5)).toBe(2);
    expect(out.map((p) => p.itemId)).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
  });

  it('skips what is not allowed, and reads the ranking only as far as the list needs', () => {
    const read: number[] = [];
    const list = picks(['a1', 'b1', 'gone', 'c1', 'a2', 'x1', 'b2', 'c2']);
    const allowed = listRanking(list, (p) => p.itemId !== 'gone', categoryOf);
    const out = diversify({ ...allowed, allowed: (i) => (read.push(i), allowed.allowed(i)) }, 4);
    expect(out.map((p) => p.itemId)).toEqual(['a1', 'b1', 'c1', 'a2']);
    expect(read).toEqual([0, 1, 2, 3, 4]);
  });

  it('builds a pick only for what makes the list', () => {
    const built: number[] = [];
    const base = ranking(['a1', 'a2', 'a3', 'a4', 'b1']);
    expect(diversify({ ...base, pick: (i) => (built.push(i), base.pick(i)) }, 4).map((p) => p.itemId)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(built).toEqual([0, 1, 2, 4]);
  });

  it('puts demoted items after every other candidate, capped ones included, and uses them only to fill', () => {
    const ids = ['a1', 'b1', 'a2', 'a3', 'c1', 'a4', 'b2'];
    const demoted = new Set(['b1', 'c1']);
    expect(diversify(ranking(ids), 5, demoted).map((p) => p.itemId)).toEqual(['a1', 'a2', 'a3', 'a4', 'b2']);
    expect(diversify(ranking(ids), 7, demoted).map((p) => p.itemId)).toEqual(['a1', 'a2', 'a3', 'a4', 'b2', 'b1', 'c1']);
    expect(diversify(ranking(ids), 5).map((p) => p.itemId)).toEqual(['a1', 'b1', 'a2', 'c1', 'b2']);
  });
});

describe('new arrivals', () => {
  it('take the third place, one per ten items, and keep the length', () => {
    const list = picks(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    const arrivals = picks(['new1', 'new2', 'new3']);
    expect(withNewArrivals(list, arrivals, 10).map((p) => p.itemId)).toEqual(['a', 'b', 'new1', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    expect(withNewArrivals(picks(['a']), arrivals, 5).map((p) => p.itemId)).toEqual(['a', 'new1']);
    expect(withNewArrivals(list.concat(list), arrivals, 20).filter((p) => p.itemId.startsWith('new'))).toHaveLength(2);
  });
});

describe('reasons', () => {
  it('word what the user did', () => {
    expect(becauseOf('page_view', 'Red shoes')).toBe('because you viewed Red shoes');
    expect(becauseOf('click', 'sku-1')).toBe('because you viewed sku-1');
    expect(becauseOf('add_to_cart', 'sku-1')).toBe('because you added sku-1 to your cart');
    expect(becauseOf('purchase', 'sku-1')).toBe('because you bought sku-1');
  });
});

describe('catalogue', () => {
  const now = Date.parse('2026-11-21T12:00:00+08:00');
  const text = [
    '{"item_id":"old","category":"a","listed_at":"2026-09-01T00:00:00+08:00"}',
    '{"item_id":"fresh","category":"a","listed_at":"2026-11-20T00:00:00+08:00","title":"Fresh tea"}',
    '{"item_id":"fresher","listed_at":"2026-11-21T00:00:00+08:00"}',
    '{"item_id":"gone","available":false,"listed_at":"2026-11-21T01:00:00+08:00"}',
    '{"item_id":"future","listed_at":"2026-12-01T00:00:00+08:00"}',
    'not json',
    '{"category":"no id"}',
  ].join('\n');

  it('parses JSON lines, skipping and counting malformed ones', () => {
    const { catalog, skipped } = Catalog.parse(text);
    expect(skipped).toBe(2);
    expect(catalog.size).toBe(5);
    expect(catalog.available('gone')).toBe(false);
    expect(catalog.available('never-listed')).toBe(true);
    expect(catalog.category('fresh')).toBe('a');
    expect(catalog.label('fresh')).toBe('Fresh tea');
    expect(catalog.label('old')).toBe('old');
  });

  it('lists available items of the last two weeks, newest first', () => {
    expect(Catalog.parse(text).catalog.newArrivals(10, now)).toEqual(['fresher', 'fresh']);
    expect(Catalog.parse(text).catalog.newArrivals(1, now)).toEqual(['fresher']);
  });
});
