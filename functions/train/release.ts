/** What every model `train` produces goes through: an evaluation id, a version name, registration and promotion. */
import { createHash } from 'node:crypto';
import type { Logger } from '#lib/log';
import type { Provider } from '#models/onnx/executionProvider';
import { beatsChampion, type ModelMeta, type ModelRegistry } from '#models/registry';

export interface TrainDeps {
  registry: ModelRegistry;
  logger: Logger;
  clock: () => number;
  provider?: Provider;
}

export interface TrainResult {
  model: string;
  version: string;
  metrics: Record<string, number>;
  championVersion?: string;
  championMetrics?: Record<string, number>;
  promoted: boolean;
}

/** Names an evaluation by what it was measured on: equal ids mean comparable metrics. */
export const evaluationIdOf = (measuredOn: unknown) => createHash('sha256').update(JSON.stringify(measuredOn)).digest('hex').slice(0, 16);

/**
 * The champion of `name`, scored by `score` on the challenger's evaluation (so the two compare);
 * no metrics when there is no champion or `score` cannot read it.
 */
export async function challengeChampion(
  deps: TrainDeps,
  name: string,
  score: (meta: ModelMeta, model: Buffer) => Promise<Record<string, number>> | undefined,
): Promise<{ championVersion?: string; championMetrics?: Record<string, number> }> {
  const champion = await deps.registry.current(name);
  if (!champion) return {};
  const [meta, bytes] = await Promise.all([deps.registry.meta(name, champion.version), deps.registry.model(name, champion.version)]);
  return { championVersion: champion.version, championMetrics: meta && bytes ? await score(meta, bytes) : undefined };
}

/** Registers the version and promotes it if it beats the champion on `primary`. */
export async function release(deps: TrainDeps, meta: ModelMeta, onnx: Buffer, primary: string): Promise<TrainResult> {
  await deps.registry.register(meta, onnx);
  const promoted = beatsChampion(meta, primary);
  if (promoted) await deps.registry.promote(meta.name, meta.version, new Date(meta.createdAt));
  const result = {
    model: meta.name,
    version: meta.version,
    metrics: meta.metrics,
    championVersion: meta.championVersion,
    championMetrics: meta.championMetrics,
    promoted,
  };
  deps.logger.info('model trained', { ...result });
  return result;
}
