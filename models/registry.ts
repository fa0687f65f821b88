/**
 * The model registry in the object store:
 *   models/<name>/<version>/model.onnx   the served graph
 *   models/<name>/<version>/meta.json    metrics, data window, feature spec, id mappings, code version
 *   models/<name>/<version>/evaluated.onnx  when the served graph was refitted on all the data after
 *                                        its evaluation: the graph that was evaluated (champion challenges score it)
 *   models/<name>/current.json           the champion, and the champions before it (for rollback)
 * A challenger is promoted only when it beats the champion on the same evaluation.
 */
import { AppError, unavailable } from '#lib/errors';
import { listAll, type ObjectStore } from '#lib/objectStore/port';
import { LAST_TRAINED_KEY, MODELS_PREFIX } from '#lib/objectStore/keys';

export interface ModelMeta {
  name: string;
  version: string;
  createdAt: string;
  /** What the metrics were measured on: the same id means the numbers compare. */
  evaluation: { id: string; protocol: string; users: number };
  metrics: Record<string, number>;
  /** The champion measured on this same evaluation when the challenger was trained (if any). */
  championMetrics?: Record<string, number>;
  championVersion?: string;
  dataWindow: { from?: string; to?: string; source: string };
  params: Record<string, unknown>;
  /** Dense index → external id, in index order. */
  itemIds: string[];
  /** The most interacted items of the training data, most first (served when nothing fresher is). */
  popular?: string[];
  codeVersion: string;
}

/** The version name of a model trained at `now` and measured on `evaluationId`: sorts by time, says what it was measured on. */
const versionOf = (now: Date, evaluationId: string) =>
  `v${now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14)}-${evaluationId.slice(0, 4)}`;

/** A version's metadata: named by its training time and evaluation unless a version is given. */
export function modelMeta(fields: Omit<ModelMeta, 'version' | 'createdAt'> & { version?: string }, now: Date): ModelMeta {
  return { ...fields, version: fields.version ?? versionOf(now, fields.evaluation.id), createdAt: now.toISOString() };
}

export interface Pointer {
  version: string;
  promotedAt: string;
  /** Earlier champions, most recent first. */
  previous: string[];
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));

export class ModelRegistry {
  constructor(private readonly store: ObjectStore) {}

  private dir = (name: string, version: string) => `${MODELS_PREFIX}${name}/${version}/`;

  async register(meta: ModelMeta, model: Buffer): Promise<void> {
    await this.store.put(`${this.dir(meta.name, meta.version)}model.onnx`, model, { contentType: 'application/octet-stream' });
    // meta.json last: a version without it is an unfinished upload and is never listed.
    await this.store.put(`${this.dir(meta.name, meta.version)}meta.json`, json(meta), { contentType: 'application/json' });
    // One small object to read, so whatever watches training need not list every version.
    await this.store.put(LAST_TRAINED_KEY, json({ name: meta.name, version: meta.version, createdAt: meta.createdAt }), {
      contentType: 'application/json',
    });
  }

  /** The version registered last, of any model (promoted or not): when training last succeeded. */
  async lastTrained(): Promise<{ name: string; version: string; createdAt: string } | undefined> {
    const body = await this.store.get(LAST_TRAINED_KEY);
    return body && (JSON.parse(body.toString()) as { name: string; version: string; createdAt: string });
  }

  /** Stores the graph a refitted version was evaluated as (before its meta.json, so a listed version has it). */
  async registerEvaluated(name: string, version: string, model: Buffer): Promise<void> {
    await this.store.put(`${this.dir(name, version)}evaluated.onnx`, model, { contentType: 'application/octet-stream' });
  }

  /** The graph a version was evaluated as, when it differs from the served one. */
  async evaluatedModel(name: string, version: string): Promise<Buffer | undefined> {
    return this.store.get(`${this.dir(name, version)}evaluated.onnx`);
  }

  async meta(name: string, version: string): Promise<ModelMeta | undefined> {
    const body = await this.store.get(`${this.dir(name, version)}meta.json`);
    return body && (JSON.parse(body.toString()) as ModelMeta);
  }

  async model(name: string, version: string): Promise<Buffer | undefined> {
    return this.store.get(`${this.dir(name, version)}model.onnx`);
  }

  /** The champion: its metadata and graph, read together; undefined while none is promoted. A pointer at an unfinished version is a 503. */
  async champion(name: string): Promise<{ meta: ModelMeta; bytes: Buffer } | undefined> {
    const pointer = await this.current(name);
    if (!pointer) return undefined;
    const [meta, bytes] = await Promise.all([this.meta(name, pointer.version), this.model(name, pointer.version)]);
    if (!meta || !bytes) throw unavailable('model_incomplete', `registry points at ${name}/${pointer.version}, which is incomplete`);
    return { meta, bytes };
  }

  async current(name: string): Promise<Pointer | undefined> {
    const body = await this.store.get(`${MODELS_PREFIX}${name}/current.json`);
    return body && (JSON.parse(body.toString()) as Pointer);
  }

  async versions(name: string): Promise<ModelMeta[]> {
    const metas: ModelMeta[] = [];
    for await (const o of listAll(this.store, `${MODELS_PREFIX}${name}/`)) {
      if (o.key.endsWith('/meta.json')) metas.push(JSON.parse((await this.store.get(o.key))!.toString()) as ModelMeta);
    }
    return metas.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Makes `version` the champion, remembering the one it replaces. */
  async promote(name: string, version: string, now = new Date()): Promise<Pointer> {
    if (!(await this.meta(name, version))) throw new AppError(404, 'no_such_version', `no registered version ${name}/${version}`);
    const current = await this.current(name);
    if (current?.version === version) return current;
    const pointer: Pointer = {
      version,
      promotedAt: now.toISOString(),
      previous: current ? [current.version, ...current.previous].slice(0, 20) : [],
    };
    await this.store.put(`${MODELS_PREFIX}${name}/current.json`, json(pointer), { contentType: 'application/json' });
    return pointer;
  }

  /** Puts the previous champion back. */
  async rollback(name: string, now = new Date()): Promise<Pointer> {
    const current = await this.current(name);
    if (!current || current.previous.length === 0)
      throw new AppError(409, 'no_earlier_champion', `${name} has no earlier champion to roll back to`);
    const [version, ...previous] = current.previous;
    const pointer: Pointer = { version, promotedAt: now.toISOString(), previous };
    await this.store.put(`${MODELS_PREFIX}${name}/current.json`, json(pointer), { contentType: 'application/json' });
    return pointer;
  }
}

/**
 * Whether a challenger beats the champion: same evaluation, and a higher primary metric
 * (ties keep the champion). With no champion, any evaluated model wins.
 */
export function beatsChampion(challenger: ModelMeta, primary: string): boolean {
  if (!challenger.championMetrics) return true;
  return (challenger.metrics[primary] ?? -Infinity) > (challenger.championMetrics[primary] ?? -Infinity);
}
