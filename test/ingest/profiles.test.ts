/** POST /v1/profiles: the backend upserts contact data; phones are sealed at rest; a bad profile is rejected alone. */
import { postBatch, requestToken } from '../../scripts/lib/ingestClient';
import { startIngest, type IngestHarness } from './harness';

let h: IngestHarness;
beforeEach(async () => {
  h = await startIngest();
});
afterEach(() => h.close());

const backend = () => ({ baseUrl: h.baseUrl });
const upsert = (profiles: unknown[]) => postBatch(backend(), JSON.stringify({ profiles }), {}, '/v1/profiles');
const stored = async (id: string) => (await h.profiles.store.get([id]))[0];

describe('POST /v1/profiles', () => {
  it('upserts profiles, sealing the phone and indexing it by a keyed hash', async () => {
    const reply = await upsert([
      {
        user_id: 'u1',
        phone: '138-1234-5678',
        consent_sms: { granted: true, at: '2026-11-20T10:00:00+08:00', source: 'miniprogram' },
        tags: ['vip', 'vip'],
        attributes: { city: '杭州', orders: 3 },
      },
    ]);
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 200, body: { accepted: 1, rejected: [] } });
    const p = (await stored('u1'))!;
    expect(p).toMatchObject({
      userId: 'u1',
      tags: ['vip'],
      attributes: { city: '杭州', orders: 3 },
      consentSms: { granted: true, at: Date.parse('2026-11-20T10:00:00+08:00'), source: 'miniprogram' },
    });
    expect(JSON.stringify(p)).not.toMatch(/1381234|12345678/);
    expect(h.profiles.phoneOf(p)).toBe('+8613812345678');
    expect(await h.profiles.userOfPhone('+8613812345678')).toBe('u1');
  });

  it('rejects a bad profile alone, naming the field', async () => {
    const reply = await upsert([
      { user_id: 'ok', phone: '13912345678' },
      { user_id: 'bad-phone', phone: '12345' },
      { user_id: 'bad-consent', consent_sms: { granted: 'yes', at: 1, source: 'x' } },
      { user_id: 'typo', phon: '13912345678' },
      'not an object',
    ]);
    expect(reply.body).toEqual({
      accepted: 1,
      rejected: [
        { index: 1, user_id: 'bad-phone', code: 'invalid_phone', message: 'phone must be a mainland mobile number' },
        { index: 2, user_id: 'bad-consent', code: 'invalid_consent_sms', message: expect.stringContaining('consent_sms') },
        { index: 3, user_id: 'typo', code: 'unknown_field', message: 'unknown field phon' },
        { index: 4, user_id: null, code: 'not_an_object', message: 'profile must be a JSON object' },
      ],
    });
  });

  it('keeps the later consent statement, whatever order they arrive in; merges attributes; replaces tags', async () => {
    const withdrawn = { granted: false, at: Date.parse('2026-11-21T00:00:00Z'), source: 'reply:TD' };
    await upsert([{ user_id: 'u2', consent_sms: withdrawn, tags: ['a'], attributes: { city: '上海' } }]);
    await upsert([
      {
        user_id: 'u2',
        consent_sms: { granted: true, at: Date.parse('2026-11-01T00:00:00Z'), source: 'import' },
        tags: ['b'],
        attributes: { level: 2 },
      },
    ]);
    expect(await stored('u2')).toMatchObject({ consentSms: withdrawn, tags: ['b'], attributes: { city: '上海', level: 2 } });
  });

  it('takes profiles only from the backend (a token gets 403), at most 500 a request', async () => {
    const token = await requestToken(backend(), { user_id: 'u1' });
    const asPhone = await postBatch(
      { baseUrl: h.baseUrl, token },
      JSON.stringify({ profiles: [{ user_id: 'u1', phone: '13812345678' }] }),
      {},
      '/v1/profiles',
    );
    expect({ status: asPhone.status, code: asPhone.body.code }).toEqual({ status: 403, code: 'server_only' });
    expect(await stored('u1')).toBeUndefined();
    const tooMany = await upsert(Array.from({ length: 501 }, (_, i) => ({ user_id: `u${i}` })));
    expect({ status: tooMany.status, code: tooMany.body.code }).toEqual({ status: 413, code: 'too_many_profiles' });
  });
});
