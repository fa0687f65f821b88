/**
 * Where onnxruntime runs a model: the CPU, or the GPU through the CUDA execution provider.
 * CUDA is asked for by a setting (`MKT_ORT_PROVIDER`, on in train's GPU container) and probed
 * once with a one-node graph, because onnxruntime-node refuses any session that lists CUDA when
 * its CUDA build or the GPU is missing. The probe tells which provider will actually run.
 */
import * as ort from 'onnxruntime-node';
import { cpus } from 'node:os';
import type { Logger } from '#lib/log';
import { buildModel } from './builder';

export type Provider = 'cpu' | 'cuda';

export const sessionOptions = (provider: Provider, threads = cpus().length): ort.InferenceSession.SessionOptions => ({
  executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  intraOpNumThreads: threads,
  graphOptimizationLevel: 'all',
});

/** Creates a session on the given execution provider. */
export function createSession(model: Buffer, provider: Provider = 'cpu', threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, sessionOptions(provider, threads));
}

const probeGraph = () =>
  buildModel({
    name: 'provider_probe',
    inputs: [{ name: 'x', type: 'float32', shape: [1] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });

/** The provider to run on: the requested one if it works here, else the CPU with a warning. Logs the choice. */
export async function usableProvider(requested: Provider, logger: Logger): Promise<Provider> {
  if (requested === 'cuda') {
    try {
      // onnxruntime's own logger would print a non-JSON, multi-line error when CUDA cannot load; its
      // failures reach us as exceptions anyway, so it reports only fatal ones (set before the first session).
      ort.env.logLevel = 'fatal';
      await (await ort.InferenceSession.create(probeGraph(), { executionProviders: ['cuda'] })).release();
    } catch (err) {
      logger.warn('CUDA execution provider unavailable; models run on the CPU', { requested, reason: (err as Error).message });
      return 'cpu';
    }
  }
  logger.info('onnxruntime execution provider', { requested, provider: requested });
  return requested;
}
