/** The recommend API's input, from a GET query or a POST body, validated with errors that name the field. */
import { userKeyOf } from '#lib/events/behaviour';
import { badRequest } from '#lib/errors';

export const MAX_N = 100;
const MAX_LIST = 500;
const MAX_ID = 128;

export interface RecommendRequest {
  /** Whom the list is for, as the request names them. */
  user: { userId?: string; anonymousId?: string };
  /** The feature-store user: `user_id`, or `anon:<anonymous_id>` as ingest stores it. */
  userKey: string;
  n: number;
  scene: string;
  exclude: string[];
  /** When given, rank only these (each once, in the order first named). */
  candidates?: string[];
  /** Items the mini-program knows the user just touched, newest first (used even when the feature store is down). */
  recent: string[];
}

type Fields = Record<string, unknown>;

const id = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID)
    throw badRequest(`invalid_${field}`, `${field} must be a string of 1 to ${MAX_ID} characters`);
  return value;
};

const idList = (value: unknown, field: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_LIST)
    throw badRequest(`invalid_${field}`, `${field} must be an array of at most ${MAX_LIST} item ids`);
  return [...new Set(value.map((v) => id(v, field)))];
};

/** GET query values arrive as strings: `n=10`, `exclude=a,b`. */
export function fromQuery(query: URLSearchParams): RecommendRequest {
  const single = (name: string) => {
    const v = query.getAll(name);
    if (v.length > 1) throw badRequest(`invalid_${name}`, `${name} appears more than once`);
    return v[0];
  };
  const list = (name: string) => single(name)?.split(',').filter(Boolean);
  const n = single('n');
  return parse({
    user_id: single('user_id'),
    anonymous_id: single('anonymous_id'),
    n: n === undefined ? undefined : /^\d+$/.test(n) ? Number(n) : n,
    scene: single('scene'),
    exclude: list('exclude'),
    candidates: list('candidates'),
    recent: list('recent'),
  });
}

export function fromBody(body: unknown): RecommendRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_body', 'body must be a JSON object');
  return parse(body as Fields);
}

function parse(f: Fields): RecommendRequest {
  const hasUser = f.user_id !== undefined;
  if (hasUser === (f.anonymous_id !== undefined)) throw badRequest('missing_user', 'give exactly one of user_id and anonymous_id');
  const user = hasUser ? { userId: id(f.user_id, 'user_id') } : { anonymousId: id(f.anonymous_id, 'anonymous_id') };
  const userKey = userKeyOf({ user_id: user.userId, anonymous_id: user.anonymousId });
  const n = f.n ?? 10;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_N)
    throw badRequest('invalid_n', `n must be an integer from 1 to ${MAX_N}`);
  const scene = f.scene === undefined ? 'home' : id(f.scene, 'scene');
  return {
    user,
    userKey,
    n,
    scene,
    exclude: idList(f.exclude, 'exclude') ?? [],
    candidates: idList(f.candidates, 'candidates'),
    recent: idList(f.recent, 'recent') ?? [],
  };
}
