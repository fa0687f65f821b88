/**
 * Ingest's backend endpoints while the store (Tair) is down: a token needs no store to be
 * checked, so issuing goes on, each nonce still spent once on the instance; what needs the
 * store answers 503 under the name of what it could not reach.
 */
import { signRequest } from '#lib/auth';
import { RedisEventLog } from '#lib/eventLog/redisLog';
import { RedisProfileStore } from '#lib/profiles/redisStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { startIngest, type IngestHarness } from './harness';

const DOWN = 'redis://127.0.0.1:1';
let h: IngestHarness;
let down: RedisEventLog;
let profiles: RedisProfileStore;
beforeEach(async () => {
  down = new RedisEventLog({ url: DOWN, prefix: 'mkt-test:down:', commandTimeoutMs: 200 });
  profiles = new RedisProfileStore({ url: DOWN, prefix: 'mkt-test:down:' });
  h = await startIngest({ log: down, profiles: new ProfileBook(profiles, new PhoneVault(Buffer.alloc(32, 7))) });
});
afterEach(async () => {
  await h.close();
  await profiles.close();
});

const signedPost = (urlPath: string, body: string) => ({
  urlPath,
  body,
  headers: { 'content-type': 'application/json', ...signRequest('demo', 'demo-secret', 'POST', urlPath, body) },
});
const post = async ({ urlPath, body, headers }: ReturnType<typeof signedPost>) => {
  const reply = await fetch(`${h.baseUrl}${urlPath}`, { method: 'POST', body, headers });
  return { status: reply.status, body: (await reply.json()) as Record<string, unknown> };
};

it('issues tokens while the store is down, refuses the same signed request twice, and counts what it admitted alone', async () => {
  const request = signedPost('/v1/tokens', JSON.stringify({ user_id: 'u42' }));
  const first = await post(request);
  expect({ status: first.status, user: first.body.user_id, token: first.body.token }).toEqual({
    status: 200,
    user: 'u42',
    token: expect.stringMatching(/^mkt1\./),
  });
  const replay = await post(request);
  expect({ status: replay.status, code: replay.body.code }).toEqual({ status: 401, code: 'replayed_nonce' });
  await fetch(h.baseUrl, { headers: { 'x-fc-control-path': '/pre-stop' } });
  expect([...h.metrics.totals.values()].find((d) => d.name === 'AdmittedWithoutStore')).toMatchObject({ value: 1 });
});

it('answers 503 profile_store_unavailable for profiles, and 503 for a revocation, which needs the store', async () => {
  const profile = await post(
    signedPost('/v1/profiles', JSON.stringify({ profiles: [{ user_id: 'u1', consent_sms: { granted: true, at: 1, source: 'test' } }] })),
  );
  expect({ status: profile.status, code: profile.body.code }).toEqual({ status: 503, code: 'profile_store_unavailable' });
  const revoke = await post(signedPost('/v1/tokens/revoke', '{}'));
  expect(revoke.status).toBe(503);
});
