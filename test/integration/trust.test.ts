/**
 * The trust model from outside: the backend (server secret) issues tokens bound to one user or
 * install; a mini-program's token speaks only for that user; signatures cover method, path,
 * query and body; tokens expire and can be revoked per app; two secrets are valid while one is
 * rotated out. Ingest and recommend share one feature store, as on FC they share Tair.
 */
import { signRequest } from '#lib/auth';
import { issueToken } from '#lib/auth/tokens';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { postBatch, requestToken } from '../../scripts/lib/ingestClient';
import { event, startIngest, type IngestHarness } from '../ingest/harness';
import { startRecommend, type RecommendHarness } from '../recommend/harness';

const NEW = 'new-secret-2026';
const OLD = 'old-secret-2025';
let ingest: IngestHarness;
let recommend: RecommendHarness;

beforeEach(async () => {
  const features = new MemoryFeatureStore();
  const secrets = { shop: [NEW, OLD] };
  ingest = await startIngest({ secrets, features });
  recommend = await startRecommend({ secrets, features });
});
afterEach(async () => {
  await ingest.close();
  await recommend.close();
});

const backend = (secret = NEW) => ({ baseUrl: ingest.baseUrl, appId: 'shop', secret });
const tokenFor = (subject: { user_id?: string; anonymous_id?: string; ttl_s?: number }) => requestToken(backend(), subject);
const read = (query: string, token: string) => recommend.get(query, { authorization: `Bearer ${token}` });

describe('recommend answers only for the caller', () => {
  it('refuses a signature reused with another query string', async () => {
    const signed = signRequest('shop', NEW, 'GET', '/v1/recommend?user_id=a&n=5', '');
    expect((await recommend.get('user_id=a&n=5', signed)).status).toBe(200);
    const replayed = await recommend.get('user_id=b&n=5', signed);
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('bad_signature');
    expect((await recommend.get('n=5&user_id=a', signed)).status).toBe(200); // the same query in another order
  });

  it("a token for a reads a's list but never b's; a server-signed call reads anyone's", async () => {
    const a = await tokenFor({ user_id: 'a' });
    expect((await read('user_id=a&n=3', a)).status).toBe(200);
    const other = await read('user_id=b&n=3', a);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('forbidden_user');
    expect((await read('anonymous_id=b-phone', a)).status).toBe(403);
    expect((await recommend.get('user_id=b', signRequest('shop', NEW, 'GET', '/v1/recommend?user_id=b', ''))).status).toBe(200);
    const install = await tokenFor({ anonymous_id: 'phone-1' });
    expect((await read('anonymous_id=phone-1', install)).status).toBe(200);
    expect((await read('user_id=phone-1', install)).status).toBe(403);
  });

  it('refuses a tampered, foreign, expired or revoked token', async () => {
    const a = await tokenFor({ user_id: 'a' });
    const [head, payload, mac] = a.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, uid: 'b' })).toString('base64url')}.${mac}`;
    expect((await read('user_id=b', forged)).body.code).toBe('invalid_token');
    expect((await read('user_id=a', 'mkt1.e30.AAAA')).body.code).toBe('invalid_token');

    const hourAgo = Date.now() - 3_600_000;
    const expired = issueToken(NEW, { appId: 'shop', userId: 'a', issuedAt: hourAgo - 60_000, expiresAt: hourAgo });
    expect((await read('user_id=a', expired)).body.code).toBe('expired_token');

    const revoked = await postBatch(backend(), '{}', {}, '/v1/tokens/revoke');
    expect(revoked.status).toBe(200);
    await recommend.auth.refreshRevocations(); // instances re-read revocations every few seconds
    const refused = await read('user_id=a', a);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 401, code: 'revoked_token' });
    await new Promise((r) => setTimeout(r, 2));
    expect((await read('user_id=a', await tokenFor({ user_id: 'a' }))).status).toBe(200);
  });

  it('accepts both secrets while one is rotated out: signatures and tokens made with either', async () => {
    expect((await recommend.get('user_id=x', signRequest('shop', OLD, 'GET', '/v1/recommend?user_id=x', ''))).status).toBe(200);
    const fromOld = await requestToken(backend(OLD), { user_id: 'x' });
    expect((await read('user_id=x', fromOld)).status).toBe(200);
    expect((await recommend.get('user_id=x', signRequest('shop', 'never-listed', 'GET', '/v1/recommend?user_id=x', ''))).body.code).toBe(
      'bad_signature',
    );
  });
});

describe('ingest accepts from a token only events about its own user or install', () => {
  it('stores the events about the token user, rejects those about another, and lets the backend send for anyone', async () => {
    const token = await tokenFor({ user_id: 'a', anonymous_id: 'phone-a' });
    const mine = event({ user_id: 'a', anonymous_id: 'phone-a' });
    const preLogin = event({ user_id: undefined, anonymous_id: 'phone-a' });
    const theirs = event({ user_id: 'b' });
    const theirPhone = event({ user_id: undefined, anonymous_id: 'phone-b' });
    const reply = await postBatch({ baseUrl: ingest.baseUrl, token }, JSON.stringify({ events: [mine, theirs, preLogin, theirPhone] }));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      accepted: 2,
      rejected: [
        { index: 1, code: 'forbidden_user' },
        { index: 3, code: 'forbidden_user' },
      ],
    });
    const server = await postBatch(backend(), JSON.stringify({ events: [event({ user_id: 'b' })] }));
    expect(server.body).toMatchObject({ accepted: 1 });
  });

  it('takes a token in its one spelling only: padding, standard base64, stray bits or anything appended is invalid_token', async () => {
    const a = await tokenFor({ user_id: 'a' });
    const [head, payload, mac] = a.split('.');
    const standard = (part: string) => Buffer.from(part, 'base64url').toString('base64');
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The MAC's last character carries 2 bits and 4 unused ones: setting one decodes to the same bytes.
    const strayBit = (part: string) => part.slice(0, -1) + B64URL[B64URL.indexOf(part.at(-1)!) | 1];
    const spellings = [
      `${a}==`,
      `${a}!`,
      `${a}=`,
      `${head}.${payload}.${standard(mac)}`,
      `${head}.${standard(payload)}.${mac}`,
      `${head}.${payload}=.${mac}`,
      `${head}.${payload}.${strayBit(mac)}`,
      ` ${a}`,
    ];
    expect(Buffer.from(strayBit(mac), 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    for (const spelling of spellings) {
      const reply = await read('user_id=a', spelling);
      expect({ spelling, status: reply.status, code: reply.body.code }).toEqual({ spelling, status: 401, code: 'invalid_token' });
    }
    expect((await read('user_id=a', a)).status).toBe(200);
  });

  it('only the backend issues or revokes tokens', async () => {
    const token = await tokenFor({ user_id: 'a' });
    const asPhone = await postBatch({ baseUrl: ingest.baseUrl, token }, JSON.stringify({ user_id: 'b' }), {}, '/v1/tokens');
    expect({ status: asPhone.status, code: asPhone.body.code }).toEqual({ status: 403, code: 'server_only' });
    const unsigned = await postBatch({ baseUrl: ingest.baseUrl, token: 'mkt1.x.y' }, '{}', {}, '/v1/tokens/revoke');
    expect(unsigned.status).toBe(401);
    const bad = await postBatch(backend(), JSON.stringify({ user_id: 'a', ttl_s: 10 ** 9 }), {}, '/v1/tokens');
    expect(bad.body.code).toBe('invalid_ttl_s');
  });
});
