/** Training registers versions, promotes only a challenger that beats the champion on the same evaluation, and rolls back. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainRecommender, type TrainingSet } from '../../functions/train/trainRecommender';
import { parseInteractions } from '#models/datasets/ncf';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { beatsChampion, ModelRegistry, type ModelMeta } from '#models/registry';
import { syntheticRatings } from './synthetic';

const quiet = createLogger({}, () => undefined);
let dir: string;
let registry: ModelRegistry;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-registry-'));
  registry = new ModelRegistry(new LocalObjectStore(dir, 'models-test'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function set(text: string): Promise<TrainingSet> {
  const d = await parseInteractions(text.split('\n'));
  return { byUser: d.byUser, itemIds: [...d.itemIndex.keys()], chronological: d.chronological, source: 'test', window: {} };
}

describe('training and the registry', () => {
  it('registers the first model with its metrics and makes it the champion', async () => {
    const result = await trainRecommender(
      { registry, logger: quiet, clock: () => Date.parse('2026-11-21T03:30:00Z') },
      await set(syntheticRatings()),
    );
    expect(result.promoted).toBe(true);
    expect(result.metrics['hr@10']).toBeGreaterThan(0.5); // clusters are learnable; random would be ~0.1
    expect((await registry.current('ease'))?.version).toBe(result.version);
    const meta = (await registry.meta('ease', result.version))!;
    expect(meta).toMatchObject({ name: 'ease', metrics: result.metrics, codeVersion: expect.any(String), dataWindow: { source: 'test' } });
    expect(meta.itemIds).toHaveLength(40);
    expect((await registry.model('ease', result.version))!.length).toBeGreaterThan(40 * 40 * 4);
  });

  it('keeps the champion when a challenger does not beat it on the same evaluation', async () => {
    const data = await set(syntheticRatings());
    const first = await trainRecommender({ registry, logger: quiet, clock: () => Date.parse('2026-11-21T03:30:00Z') }, data);
    const second = await trainRecommender({ registry, logger: quiet, clock: () => Date.parse('2026-11-22T03:30:00Z') }, data);
    expect(second.championVersion).toBe(first.version);
    expect(second.championMetrics).toEqual(second.metrics); // the same model scores the same on the same evaluation
    expect(second.promoted).toBe(false);
    expect((await registry.current('ease'))?.version).toBe(first.version);
    expect((await registry.versions('ease')).map((m) => m.version)).toEqual([first.version, second.version]);
  });

  it('promotes by hand and rolls back to the previous champion', async () => {
    const data = await set(syntheticRatings());
    const a = await trainRecommender({ registry, logger: quiet, clock: () => Date.parse('2026-11-21T03:30:00Z') }, data);
    const b = await trainRecommender({ registry, logger: quiet, clock: () => Date.parse('2026-11-22T03:30:00Z') }, data);
    expect((await registry.promote('ease', b.version)).previous).toEqual([a.version]);
    expect((await registry.rollback('ease')).version).toBe(a.version);
    await expect(registry.rollback('ease')).rejects.toThrow(/no earlier champion/);
    await expect(registry.promote('ease', 'v-missing')).rejects.toThrow(/no registered version/);
  });

  it('compares challenger and champion by the primary metric, ties keeping the champion', () => {
    const meta = (metrics: Record<string, number>, championMetrics?: Record<string, number>) => ({ metrics, championMetrics }) as ModelMeta;
    expect(beatsChampion(meta({ 'ndcg@10': 0.4 }), 'ndcg@10')).toBe(true);
    expect(beatsChampion(meta({ 'ndcg@10': 0.41 }, { 'ndcg@10': 0.4 }), 'ndcg@10')).toBe(true);
    expect(beatsChampion(meta({ 'ndcg@10': 0.4 }, { 'ndcg@10': 0.4 }), 'ndcg@10')).toBe(false);
    expect(beatsChampion(meta({ 'ndcg@10': 0.3 }, { 'ndcg@10': 0.4 }), 'ndcg@10')).toBe(false);
  });
});
