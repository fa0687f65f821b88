/**
 * `npm run bench:campaign`: 1,000,000 synthetic profiles (in Redis, phones sealed) with
 * features, one campaign planned and run against a local Alibaba SMS server that checks each
 * request's signature and counts every number it took. The run is split into chunks as the
 * platform splits it (MKT_CAMPAIGN_CHUNK_SIZE profiles each; FC runs each on an instance of
 * its own), here all run at once in this one process. The last line is JSON: profiles,
 * seconds (plan plus run), decisions_per_s, sent, duplicates and templates (the distinct template
 * codes the provider server took: the campaign's two variants each have their own).
 * BENCH_PROFILES sets the number of profiles.
 */
import { parseDefinition } from '../../functions/campaign/definitions/definition';
import { planCampaign } from '../../functions/campaign/plan';
import { chunkCountFor, chunkOf } from '../../functions/campaign/chunks';
import { runCampaign } from '../../functions/campaign/runCampaign';
import { config } from '#lib/config';
import { selectionFor } from '../../functions/campaign/selection';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook, type ProfileUpdate } from '#lib/profiles';
import { RedisProfileStore } from '#lib/profiles/redisStore';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK } from '../../test/wire/alibabaRpc';
import { runBench } from './processes';
import { campaignYaml, GREETING, MEMBER_DAY } from '../../test/fixtures/campaign';

const PROFILES = Number(process.env.BENCH_PROFILES ?? 1_000_000);
const NOW = Date.parse('2026-11-30T10:00:00+08:00');

const DEFINITION = campaignYaml({
  id: 'bench',
  name: 'bench',
  audience: '{ rules: [ { has_tag: member }, { feature: counts.purchase.d30 >= 1 } ] }',
  control_share: 0.1,
  // Two variants, each under its own approved template.
  variants: `[ ${GREETING}, ${MEMBER_DAY.replace('{ id: b,', '{ id: b, template_code: SMS_101,')} ]`,
  budget: '{ messages: 10000000 }',
});

const progress = (label: string, done: number, total: number) => process.stderr.write(`\r${label} ${done}/${total}`);

runBench(async (bench) => {
  const vault = new PhoneVault(Buffer.alloc(32, 1));
  const profileStore = new RedisProfileStore({ url: bench.redisUrl, prefix: bench.prefix });
  const profiles = new ProfileBook(profileStore, vault, () => NOW);
  const features = new MemoryFeatureStore(() => NOW);
  const ledger = new RedisContactLedger({ url: bench.redisUrl, prefix: bench.prefix });
  const action = sendBatchSmsAction();
  action.templates = new Map([
    ['SMS_100', ['name']],
    ['SMS_101', ['name']],
  ]);
  const provider = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  try {
    const loadStarted = performance.now();
    for (let from = 0; from < PROFILES; from += 5000) {
      const updates: ProfileUpdate[] = [];
      for (let i = from; i < Math.min(from + 5000, PROFILES); i++) {
        // Mainland numbers the provider server takes (its suffixes 0000, 9999, 1111 answer errors).
        updates.push({
          userId: `u${i}`,
          phone: `+8613${String(i).padStart(8, '0')}5`,
          consentSms: { granted: i % 20 !== 0, at: 1, source: 'bench' },
          tags: ['member'],
          attributes: { nickname: `客${i % 1000}` },
        });
      }
      await profiles.upsert(updates);
      await features.record(
        updates
          .filter((_, k) => (from + k) % 4 !== 3)
          .map((u) => ({ userId: u.userId, type: 'purchase', ts: NOW - 86_400_000, itemId: 'sku-1', amount: 10 })),
      );
      progress('profiles', Math.min(from + 5000, PROFILES), PROFILES);
    }
    process.stderr.write(`\nloaded ${PROFILES} profiles in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s\n`);

    const d = parseDefinition(DEFINITION, 'bench.yaml').definition!;
    const select = await selectionFor(
      { objects: new LocalObjectStore(bench.env.LOCAL_OSS_DIR, 'mkt-data'), features, profiles, clock: () => NOW },
      d,
    );
    const started = performance.now();
    const plan = await planCampaign({ profiles, ledger, clock: () => NOW }, d, select, 45);
    const planS = (performance.now() - started) / 1000;
    process.stderr.write(`plan: ${JSON.stringify(plan)} in ${planS.toFixed(1)} s\n`);
    const policy = { caps: { perDay: 1, perWeek: 3 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 };
    const sms = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: provider.url, timeoutMs: 30_000 });
    const deps = { profiles, ledger, sms, policy, clock: () => NOW, logger: createLogger({}, () => undefined), pageSize: 2000 };
    const of = chunkCountFor(PROFILES, config().campaignChunkSize, policy.qps);
    const chunks = await Promise.all(Array.from({ length: of }, (_, i) => runCampaign(deps, d, 'bench', select, chunkOf(i, of))));
    const seconds = (performance.now() - started) / 1000;
    const sent = chunks.reduce((n, c) => n + c.decided.sent, 0);
    process.stderr.write(`run in ${of} chunks: ${JSON.stringify(chunks.map((c) => c.decided))}\n`);
    const duplicates = action.accepted.length - new Set(action.accepted).size;
    const figures = {
      profiles: PROFILES,
      seconds: Number(seconds.toFixed(1)),
      decisions_per_s: Math.round(PROFILES / seconds),
      sent,
      duplicates,
      templates: new Set(action.records.map((r) => r.templateCode)).size,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await provider.close();
    await profileStore.close();
    await ledger.close();
  }
});
