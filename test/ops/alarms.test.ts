/**
 * `npm run alarms` end to end: the real command and pop-core client against a CloudMonitor fake
 * that checks every request's signature and parameters and keeps the rules in memory.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_RULES_FILE, runAlarms } from '../../scripts/alarms/run';
import { parseAlarmFile } from '../../scripts/alarms/ruleFile';
import { TEST_AK } from '../wire/alibabaRpc';
import { FAKE_ACCOUNT_ID, startCloudMonitorFake } from '../wire/cloudMonitor';

const root = path.resolve(__dirname, '../..');
const rulesFile = path.join(root, DEFAULT_RULES_FILE);
const ruleCount = parseAlarmFile(readFileSync(rulesFile, 'utf8'), rulesFile).rules.length;

let fake: Awaited<ReturnType<typeof startCloudMonitorFake>>;
beforeEach(async () => {
  fake = await startCloudMonitorFake();
});
afterEach(() => fake.close());

const settings = (): NodeJS.ProcessEnv => ({
  MKT_REGION: 'cn-hangzhou',
  MKT_CMS_ENDPOINT: fake.url,
  MKT_CMS_GROUP_ID: '7378',
  ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_AK.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_AK.accessKeySecret,
  ALARM_CONTACT_GROUPS_ONCALL: 'mkt-oncall',
  ALARM_CONTACT_GROUPS_BUSINESS: 'mkt-marketing',
  ALIBABA_CLOUD_ACCOUNT_ID: FAKE_ACCOUNT_ID,
});

async function alarms(args: string[], env = settings()) {
  let text = '';
  const code = await runAlarms(args, env, (t) => (text += t));
  return { code, text };
}

const puts = () => fake.calls.filter((c) => c.Action.startsWith('Put')).length;

describe('npm run alarms', () => {
  it('plans every rule as a creation, applies them, and then has nothing left to change', async () => {
    const first = await alarms(['plan', '--file', rulesFile]);
    expect(first.code).toBe(0);
    expect(first.text).toContain(`plan: ${ruleCount} to create, 0 to update, 0 unchanged`);
    expect(first.text.match(/^create /gm)).toHaveLength(ruleCount);
    // Every metric the file names is one the platform sends.
    expect(first.text).not.toMatch(/pending/);
    expect(fake.rules.size).toBe(0);

    const applied = await alarms(['apply', '--file', rulesFile]);
    expect(applied.code).toBe(0);
    expect(applied.text).toContain(`apply: ${ruleCount} created, 0 updated, 0 unchanged`);
    expect(fake.rules.size).toBe(ruleCount);

    const again = await alarms(['plan', '--file', rulesFile]);
    expect(again.text).toContain(`plan: 0 to create, 0 to update, ${ruleCount} unchanged`);

    const putsBefore = puts();
    const reapplied = await alarms(['apply', '--file', rulesFile]);
    expect(reapplied.text).toContain(`apply: 0 created, 0 updated, ${ruleCount} unchanged`);
    expect(puts()).toBe(putsBefore);
  });

  it('sends each rule through the API its metric needs, with the settings it names', async () => {
    await alarms(['apply', '--file', rulesFile]);

    const p99 = fake.rules.get('mkt-fc-p99')!;
    expect(p99.Namespace).toBe('acs_fc');
    expect(JSON.parse(p99.Resources)).toEqual([
      { region: 'cn-hangzhou', functionName: 'ingest' },
      { region: 'cn-hangzhou', functionName: 'recommend' },
    ]);
    expect(p99.Escalations.Critical).toEqual({
      ComparisonOperator: 'GreaterThanThreshold',
      Statistics: 'Maximum',
      Threshold: '500',
      Times: 3,
    });
    expect(p99.ContactGroups).toBe('mkt-oncall');

    const unavailable = fake.calls.find((c) => c.Action === 'PutCustomMetricRule' && c.RuleId === 'mkt-ingest-503')!;
    expect(unavailable).toMatchObject({
      GroupId: '7378',
      MetricName: 'Unavailable',
      Statistics: 'Sum',
      ComparisonOperator: '>',
      Threshold: '0',
      EvaluationCount: '3',
      Level: 'CRITICAL',
    });
    expect(JSON.parse(unavailable.Resources)).toEqual([{ groupId: 7378, dimension: 'function=ingest' }]);

    const conversions = fake.rules.get('mkt-conversions-dod')!;
    expect(conversions.Namespace).toBe(`acs_customMetric_${FAKE_ACCOUNT_ID}`);
    expect(JSON.parse(conversions.Resources)).toEqual([{ groupId: 7378, dimension: '' }]);
    expect(conversions.Escalations.Warn).toMatchObject({ ComparisonOperator: 'LessThanYesterday', Threshold: '10' });
    expect(conversions.ContactGroups).toBe('mkt-marketing');
  });

  it('plans one update, field by field, when a threshold changes in the file', async () => {
    await alarms(['apply', '--file', rulesFile]);
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'alarms-')), 'alarms.yaml');
    const text = readFileSync(rulesFile, 'utf8');
    const p99 = text.indexOf('id: mkt-fc-p99');
    const at = text.indexOf('threshold: 500', p99);
    writeFileSync(copy, `${text.slice(0, at)}threshold: 400${text.slice(at + 'threshold: 500'.length)}`);

    const plan = await alarms(['plan', '--file', copy]);
    expect(plan.text).toContain(`plan: 0 to create, 1 to update, ${ruleCount - 1} unchanged`);
    expect(plan.text).toMatch(/^update +mkt-fc-p99 .*\n +threshold: 500 → 400$/m);

    const applied = await alarms(['apply', '--file', copy]);
    expect(applied.text).toContain('updated  mkt-fc-p99 (threshold)');
    expect(fake.rules.get('mkt-fc-p99')!.Escalations.Critical!.Threshold).toBe('400');
    expect((await alarms(['plan', '--file', copy])).text).toContain(`0 to update, ${ruleCount} unchanged`);
  });

  it('is refused with a wrong signature, and changes nothing', async () => {
    const wrong = { ...settings(), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret' };

    await expect(alarms(['apply', '--file', rulesFile], wrong)).rejects.toThrow(/SignatureDoesNotMatch/);

    expect(fake.rules.size).toBe(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('names each missing setting', async () => {
    const env = settings();
    delete env.ALARM_CONTACT_GROUPS_BUSINESS;
    delete env.ALIBABA_CLOUD_ACCOUNT_ID;

    const run = alarms(['plan', '--file', rulesFile], env);

    await expect(run).rejects.toThrow(/ALARM_CONTACT_GROUPS_BUSINESS is not set: .*"business".*mkt-conversions-dod/);
    await expect(run).rejects.toThrow(/ALIBABA_CLOUD_ACCOUNT_ID is not set: rule\(s\) mkt-conversions-dod/);
  });

  it('refuses a malformed rules file, naming the rule and field', () => {
    const text =
      'contactGroups: { oncall: ONCALL }\nrules:\n  - { id: r1, name: x, metric: { namespace: acs_fc, name: FunctionP99Duration, ' +
      'functions: [ingest] }, statistics: Mean, period: 45, operator: ' +
      'GreaterThanThreshold, threshold: 1, times: 1, level: WARN, notify: pager }\n';

    expect(() => parseAlarmFile(text, 'bad.yaml')).toThrow(/rules\[0\] r1\.statistics: must be one of/);
    expect(() => parseAlarmFile(text, 'bad.yaml')).toThrow(/rules\[0\] r1\.period: must be whole minutes/);
    expect(() => parseAlarmFile(text, 'bad.yaml')).toThrow(/rules\[0\] r1\.notify: "pager" is not a role/);
  });
});
