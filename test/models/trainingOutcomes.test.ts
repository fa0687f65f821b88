/**
 * What train does with a setting and with inputs a retry cannot fix: MKT_ORT_PROVIDER reaches the
 * onnxruntime sessions that train the model, the provider actually in use is logged, and a
 * dataset that is gone, malformed or too small is a logged outcome, never a failure that makes
 * FC re-run a GPU function.
 */
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../functions/train/runTraining';
import { loadConfig } from '#lib/config';
import { decodeInvocation } from '#lib/fc/decode';
import { eventHandler } from '#lib/fc/eventFunction';
import { createLogger, type Logger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { sessionOptions, usableProvider } from '#models/onnx/executionProvider';
import { syntheticRatings } from './synthetic';

const clock = () => Date.parse('2026-11-21T03:30:00Z');
let dir: string;
let objects: LocalObjectStore;
const logged: Array<{ level: string; msg: string }> = [];
const logger: Logger = createLogger({}, (line) => logged.push(JSON.parse(line)));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-train-outcomes-'));
  objects = new LocalObjectStore(dir, 'mkt-data');
  logged.length = 0;
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const uploadOf = (...keys: string[]) =>
  decodeInvocation(
    Buffer.from(
      JSON.stringify({
        events: keys.map((key) => ({
          eventName: 'ObjectCreated:PutObject',
          eventSource: 'acs:oss',
          eventTime: '2026-11-21T03:30:00.000Z',
          oss: { bucket: { name: 'mkt-data' }, object: { key, size: 1, eTag: 'E' } },
          responseElements: { requestId: key },
        })),
      }),
    ),
  );

describe('the execution provider', () => {
  it('MKT_ORT_PROVIDER=cuda reaches the options of the sessions that train EASE', async () => {
    expect(loadConfig({ MKT_ORT_PROVIDER: 'cuda' }).ortProvider).toBe('cuda');
    expect(sessionOptions('cuda').executionProviders).toEqual(['cuda', 'cpu']);
    await objects.put('datasets/ok.rating', Buffer.from(syntheticRatings(20, 12, 4)));
    const create = jest.spyOn(ort.InferenceSession, 'create');
    // Here, without a GPU, the CUDA session cannot be created: the run fails, but only after asking for CUDA.
    await runTraining({ objects, clock, provider: 'cuda' }, uploadOf('datasets/ok.rating'), logger).catch(() => undefined);
    expect(create).toHaveBeenCalled();
    expect(create.mock.calls.map(([, options]) => (options as ort.InferenceSession.SessionOptions).executionProviders)).toContainEqual([
      'cuda',
      'cpu',
    ]);
  });

  it('probes the provider once and logs the one in use, falling back to the CPU with a warning', async () => {
    const provider = await usableProvider('cuda', logger);
    if (provider === 'cpu')
      expect(logged).toEqual([
        expect.objectContaining({ level: 'warn', msg: 'CUDA execution provider unavailable; models run on the CPU' }),
      ]);
    else expect(logged).toEqual([expect.objectContaining({ level: 'info', msg: 'onnxruntime execution provider', provider: 'cuda' })]);
    logged.length = 0;
    expect(await usableProvider('cpu', logger)).toBe('cpu');
    expect(logged).toEqual([expect.objectContaining({ level: 'info', provider: 'cpu' })]);
  });
});

describe('inputs a retry cannot fix', () => {
  it('skips a dataset that is gone, malformed or too small, and still trains the good one beside them', async () => {
    await objects.put('datasets/bad.rating', Buffer.from('one column only\n'));
    await objects.put('datasets/tiny.rating', Buffer.from('u1\ti1\nu2\ti2\n'));
    await objects.put('datasets/ok.rating', Buffer.from(syntheticRatings(20, 12, 4)));
    const outcomes = await runTraining(
      { objects, clock, provider: 'cpu' },
      uploadOf('datasets/gone.rating', 'datasets/bad.rating', 'datasets/tiny.rating', 'datasets/ok.rating'),
      logger,
    );
    expect(outcomes).toEqual([
      { model: 'ease', dataset: 'datasets/gone.rating', skipped: 'dataset datasets/gone.rating is gone' },
      { model: 'ease', dataset: 'datasets/bad.rating', skipped: expect.stringContaining('expected user<TAB>item') },
      { model: 'ease', dataset: 'datasets/tiny.rating', skipped: 'not enough data: no user has two items' },
      expect.objectContaining({ model: 'ease', promoted: true }),
    ]);
    expect(logged.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(Array(3).fill('dataset skipped: a retry cannot fix it'));
  });

  it('an FC invocation of it succeeds (FC does not retry), while a failing store still fails it (FC retries)', async () => {
    const handler = eventHandler('train', (invocation, _context, requestLog) =>
      runTraining({ objects, clock, provider: 'cpu' }, invocation, requestLog),
    );
    const event = Buffer.from(
      JSON.stringify({
        events: [
          {
            eventName: 'ObjectCreated:PutObject',
            eventSource: 'acs:oss',
            eventTime: '',
            oss: { bucket: { name: 'mkt-data' }, object: { key: 'datasets/gone.rating', size: 1, eTag: 'E' } },
            responseElements: { requestId: 'r' },
          },
        ],
      }),
    );
    const context = { requestId: 'r1', function: { name: 'train' } };
    await expect(handler(event, context)).resolves.toEqual([
      { model: 'ease', dataset: 'datasets/gone.rating', skipped: 'dataset datasets/gone.rating is gone' },
    ]);
    jest.spyOn(objects, 'get').mockRejectedValue(Object.assign(new Error('OSS down'), { status: 503 }));
    await expect(handler(event, context)).rejects.toThrow('OSS down');
  });
});
