/** Reserved-instance targets ahead of campaign peaks: the plan, and the real FC3 SDK call against a signature-checking fake. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDefinition } from '../../functions/campaign/definitions/definition';
import { campaignTimes, peakPlan, type ProvisionConfig } from '../../scripts/lib/peakProvisioning';
import { startFc3Fake } from '../wire/fc3Api';

const window = { startTime: '2026-01-01T00:00:00Z', endTime: '2036-01-01T00:00:00Z', timeZone: 'Asia/Shanghai' };
const base: ProvisionConfig = {
  defaultTarget: 2,
  alwaysAllocateCPU: true,
  scheduledActions: [
    { name: 'evening-peak', scheduleExpression: 'cron(0 0 19 * * *)', target: 16, ...window },
    { name: 'night-floor', scheduleExpression: 'cron(0 30 23 * * *)', target: 2, ...window },
    { name: 'campaign-old-warm', scheduleExpression: 'cron(0 0 8 * * *)', target: 99, ...window },
  ],
};
const timers = [
  { name: 'morning', cronExpression: 'CRON_TZ=Asia/Shanghai 0 0 10 * * *' },
  { name: 'evening', cronExpression: 'CRON_TZ=Asia/Shanghai 0 30 19 * * *' },
  { name: 'midnight', cronExpression: 'CRON_TZ=Asia/Shanghai 0 5 0 * * *' },
];

describe('peak provisioning plan', () => {
  const plan = peakPlan(base, timers, { leadMinutes: 15, holdMinutes: 60, peakTarget: 20 }, new Date('2026-11-21T00:00:00Z'));
  const action = (name: string) => plan.scheduledActions!.find((a) => a.name === name)!;

  it('raises the target before each campaign timer and settles it to what the schedule has in force after', () => {
    expect(action('campaign-morning-warm')).toMatchObject({
      scheduleExpression: 'cron(0 45 9 * * *)',
      target: 20,
      timeZone: 'Asia/Shanghai',
    });
    expect(action('campaign-morning-settle')).toMatchObject({ scheduleExpression: 'cron(0 0 11 * * *)', target: 2 });
    expect(action('campaign-evening-warm')).toMatchObject({ scheduleExpression: 'cron(0 15 19 * * *)', target: 20 });
    expect(action('campaign-evening-settle')).toMatchObject({ scheduleExpression: 'cron(0 30 20 * * *)', target: 16 });
    expect(action('campaign-midnight-warm').scheduleExpression).toBe('cron(0 50 23 * * *)'); // wraps to the day before
  });

  it('keeps the hand-written schedule and replaces earlier campaign actions', () => {
    expect(plan.scheduledActions!.map((a) => a.name)).toEqual([
      'evening-peak',
      'night-floor',
      ...timers.flatMap((t) => [`campaign-${t.name}-warm`, `campaign-${t.name}-settle`]),
    ]);
    expect(plan).toMatchObject({ defaultTarget: 2, alwaysAllocateCPU: true });
  });

  it('refuses a timer that is not a daily fixed time, naming it', () => {
    expect(() =>
      peakPlan(base, [{ name: 'weekly', cronExpression: 'CRON_TZ=Asia/Shanghai 0 0 10 * * MON' }], {
        leadMinutes: 15,
        holdMinutes: 60,
        peakTarget: 20,
      }),
    ).toThrow(/campaign trigger weekly: .* not a daily fixed time/);
  });

  it('takes the start times of the active campaigns that run at a fixed time each day', () => {
    const daily = parseDefinition(readFileSync(path.join(__dirname, '../fixtures/campaigns/double-eleven.yaml'), 'utf8'), 'd.yaml')
      .definition!;
    const weekly = {
      ...daily,
      id: 'weekly',
      schedule: { kind: 'cron' as const, cron: '0 0 10 * * MON', timeZone: 'Asia/Shanghai' as const },
    };
    const once = { ...daily, id: 'once', schedule: { kind: 'at' as const, at: '2026-12-12T10:00:00+08:00', epochMs: 0 } };
    expect(campaignTimes([daily, weekly, once])).toEqual([
      { name: 'double-eleven-2026', cronExpression: 'CRON_TZ=Asia/Shanghai 0 0 10 * * *' },
    ]);
  });
});

describe('npm run provision against FC3', () => {
  it('puts the plan through @alicloud/fc20230330, signed as FC3 checks', async () => {
    const fake = await startFc3Fake({ 'test-key-id': 'test-key-secret' });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'test-key-id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'test-key-secret' });
      jest.resetModules();
      const { putProvisionConfig } = await import('../../scripts/provision');
      const plan = peakPlan(base, timers, { leadMinutes: 15, holdMinutes: 60, peakTarget: 20 });
      const reply = await putProvisionConfig(`127.0.0.1:${fake.port}`, 'recommend', 'LATEST', plan);
      expect(reply).toMatchObject({ defaultTarget: 2, functionArn: expect.stringContaining('functions/recommend') });
      expect(fake.configs.get('recommend@LATEST')).toEqual(JSON.parse(JSON.stringify(plan)));

      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'wrong-secret';
      jest.resetModules();
      const again = await import('../../scripts/provision');
      await expect(again.putProvisionConfig(`127.0.0.1:${fake.port}`, 'recommend', 'LATEST', plan)).rejects.toThrow(
        /SignatureDoesNotMatch/,
      );
    } finally {
      process.env = saved;
      await fake.close();
    }
  });
});
