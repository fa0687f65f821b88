import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDefinition, type CampaignDefinition, type DefinitionError } from '../../functions/campaign/definitions/definition';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/campaigns', name), 'utf8');
const VALID_YAML = fixture('double-eleven.yaml');

/** The valid YAML with one line (found by its start) replaced, or removed when `to` is empty. */
function edited(from: string, to: string): string {
  const lines = VALID_YAML.split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(from));
  if (i < 0) throw new Error(`no line starts with ${from}`);
  lines.splice(i, 1, ...(to ? [to] : []));
  return lines.join('\n');
}

const errorsOf = (text: string, file = 'campaigns/test.yaml') => parseDefinition(text, file).errors;
const placesOf = (errors: DefinitionError[]) => errors.map(({ field, line }) => ({ field, line }));

function validDefinition(text: string, file = 'campaigns/test.yaml'): CampaignDefinition {
  const { definition, errors } = parseDefinition(text, file);
  expect(errors).toEqual([]);
  return definition!;
}

describe('campaign definitions', () => {
  it('reads a valid YAML definition and the same as JSON into the same definition', () => {
    const fromYaml = validDefinition(VALID_YAML, 'campaigns/double-eleven.yaml');
    const fromJson = validDefinition(fixture('double-eleven.json'), 'campaigns/double-eleven.json');
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml).toMatchObject({
      id: 'double-eleven-2026',
      schedule: { kind: 'cron', cron: '0 0 10 * * *', timeZone: 'Asia/Shanghai' },
      scoring: { model: 'uplift', threshold: 0.02 },
      budget: { messages: 20000, yuan: 1000 },
      channel: {
        provider: 'aliyun',
        signName: '示例商城',
        templateCode: 'SMS_123456789',
        kind: 'promotional',
        params: { name: { from: 'profile', attribute: 'nickname' }, item: { from: 'item', field: 'title' } },
      },
    });
    expect(fromYaml.audience).toEqual({
      kind: 'rules',
      rules: [
        { kind: 'feature', feature: 'counts.purchase.d30', op: '>=', value: 1 },
        { kind: 'feature', feature: 'last_active_days', op: '<=', value: 7 },
        { kind: 'feature', feature: 'spend', op: '>=', value: 100 },
        { kind: 'tag', tag: 'vip', has: true },
        { kind: 'tag', tag: 'complained', has: false },
        { kind: 'attribute', attribute: 'city', op: 'in', value: ['上海', '北京', '广州'] },
      ],
    });
    // A block scalar's closing newline is not part of the message.
    expect(fromYaml.variants[1].templateText).toBe('${name}您好，您关注的${item}正在降价，速来看看。拒收请回复R');
  });

  it(
    "sends each variant under its own template_code, else the channel's; " +
      'checks each against the provider; needs one for every variant',
    () => {
      const own = validDefinition(edited('- id: coupon', '  - id: coupon\n    template_code: SMS_200'));
      expect(own.variants.map((v) => [v.id, v.templateCode])).toEqual([
        ['coupon', 'SMS_200'],
        ['recommended-item', 'SMS_123456789'],
      ]);
      expect(placesOf(errorsOf(edited('- id: coupon', '  - id: coupon\n    template_code: 12345')))).toEqual([
        { field: 'variants[0].template_code', line: 19 },
      ]);
      const none = errorsOf(edited('template_code: SMS_123456789', ''));
      expect(none.map((e) => [e.field, e.message])).toEqual([
        ['variants[0].id', expect.stringMatching(/coupon needs a template_code/)],
        ['variants[1].id', expect.stringMatching(/recommended-item needs a template_code/)],
      ]);
    },
  );

  it('applies the defaults: control share 0.1, attribution 7 days, variant weight 1', () => {
    const d = validDefinition(VALID_YAML);
    expect(d.controlShare).toBe(0.1);
    expect(d.attributionDays).toBe(7);
    expect(d.variants.map((v) => v.weight)).toEqual([2, 1]);
    const given = validDefinition(`${VALID_YAML}control_share: 0.2\nattribution_days: 14\n`);
    expect([given.controlShare, given.attributionDays]).toEqual([0.2, 14]);
  });

  it('reports every problem of a broken file at once, each with its field and line', () => {
    const errors = errorsOf(fixture('broken.yaml'), 'campaigns/broken.yaml');
    expect(placesOf(errors)).toEqual([
      { field: 'id', line: 1 },
      { field: 'schedule.cron', line: 4 },
      { field: 'audience.rules[0].feature', line: 7 },
      { field: 'audience.rules[1].attribute', line: 8 },
      { field: 'scoring', line: 9 },
      { field: 'control_share', line: 13 },
      { field: 'variants', line: 14 },
      { field: 'variants[0].template_text', line: 16 },
      { field: 'variants[1].template_text', line: 19 },
      { field: 'variants[2].item_strategy', line: 23 },
      { field: 'variants[3].id', line: 24 },
      { field: 'budget', line: 30 },
      { field: 'channel.sign_name', line: 33 },
      { field: 'channel.template_code', line: 34 },
      { field: 'channel.templateCode', line: 36 },
      { field: 'channel.params.unused', line: 40 },
      { field: 'audience_size', line: 41 },
    ]);
    const message = (field: string) => errors.find((e) => e.field === field)?.message;
    expect(message('schedule.cron')).toMatch(/minute value "61"/);
    expect(message('scoring')).toMatch(/either threshold or top_k, not both/);
    expect(message('variants')).toMatch(/1 to 4 items, not 5/);
    expect(message('variants[0].template_text')).toMatch(/must end with the opt-out wording 拒收请回复R/);
    expect(message('variants[1].template_text')).toMatch(/\$\{coupon\} has no source in channel.params/);
    expect(message('channel.templateCode')).toMatch(/did you mean template_code\?/);
  });

  it.each([
    [
      'a promotional template without the opt-out wording',
      edited('template_text: ${name}您好，双十一', '    template_text: ${name}您好，双十一满300减50的券已到账'),
      'variants[0].template_text',
      19,
      /opt-out wording 拒收请回复R/,
    ],
    ['top_k with threshold', edited('threshold: 0.02', '  threshold: 0.02\n  top_k: 100'), 'scoring', 14, /not both/],
    [
      'an unknown field',
      edited('weight: 2', '    weight: 2\n    wieght: 3'),
      'variants[0].wieght',
      22,
      /unknown field "wieght"; did you mean weight\?/,
    ],
    ['a bad cron', edited('cron: 0 0 10 * * *', '  cron: 0 0 10 * *'), 'schedule.cron', 5, /6 fields \(seconds first\), got 5/],
    [
      'a cron with its own zone',
      edited('cron: 0 0 10 * * *', '  cron: CRON_TZ=UTC 0 0 10 * * *'),
      'schedule.cron',
      5,
      /always read in Asia\/Shanghai/,
    ],
    ['a missing param source', edited('item: item.title', ''), 'variants[1].template_text', 23, /\$\{item\} has no source/],
    [
      'an item source for a variant without an item',
      edited('item_strategy: top_recommendation', '    item_strategy: none'),
      'variants[1].item_strategy',
      25,
      /top_recommendation/,
    ],
    [
      'an unknown feature',
      edited('- feature: spend', '    - feature: spent >= 100'),
      'audience.rules[2].feature',
      10,
      /unknown feature "spent"/,
    ],
    [
      'an ordering operator on text',
      edited('- attribute: city', '    - attribute: city > 上海'),
      'audience.rules[5].attribute',
      13,
      /compares numbers/,
    ],
    ['a threshold above 1', edited('threshold: 0.02', '  threshold: 2'), 'scoring.threshold', 16, /from 0 to 1, not 2/],
    ['a missing field', edited('sign_name:', ''), 'channel.sign_name', 29, /is required/],
    ['a number where text belongs', edited('name: 双十一', 'name: 2026'), 'name', 3, /put 2026 in quotes/],
  ])('names field and line for %s', (_, text, field, line, message) => {
    const errors = errorsOf(text);
    expect(placesOf(errors)).toEqual([{ field, line }]);
    expect(errors[0].message).toMatch(message);
  });

  it('names field and line in JSON files too', () => {
    const json = fixture('double-eleven.json')
      .replace('"weight": 2', '"weight": 2, "colour": "red"')
      .replace('"model": "uplift"', '"model": "upflit"');
    expect(placesOf(errorsOf(json, 'campaigns/x.json'))).toEqual([
      { field: 'scoring.model', line: 15 },
      { field: 'variants[0].colour', line: 21 },
    ]);
  });

  it('refuses files that are not YAML or JSON, syntax errors, repeated keys and aliases, with their line', () => {
    expect(errorsOf(VALID_YAML, 'campaigns/x.txt')).toEqual([
      { field: '(file)', message: expect.stringMatching(/\.yaml, \.yml or \.json/) },
    ]);
    expect(placesOf(errorsOf('id: a\nname: [b\n'))).toEqual([{ field: '(file)', line: 3 }]);
    expect(placesOf(errorsOf(`${VALID_YAML}id: again\n`))).toEqual([{ field: '(file)', line: 37 }]);
    expect(errorsOf('{"id": "a"\n "name": "b"}', 'campaigns/x.json')).toEqual([
      { field: '(file)', line: 2, message: expect.stringMatching(/^not valid JSON: Missing , between flow map items/) },
    ]);
    expect(errorsOf(edited('sign_name:', '  sign_name: &sign 示例商城\n  x: *sign'))).toEqual([
      { field: '(file)', line: 32, message: expect.stringMatching(/aliases/) },
    ]);
    expect(placesOf(errorsOf('- a\n- b\n'))).toEqual([{ field: '(file)' }]);
  });

  it('reads one-off schedules as times with an offset', () => {
    const once = validDefinition(edited('cron:', '  at: 2026-11-11T10:00:00+08:00'));
    expect(once.schedule).toEqual({ kind: 'at', at: '2026-11-11T10:00:00+08:00', epochMs: Date.parse('2026-11-11T02:00:00Z') });
    for (const at of ['2026-11-11T10:00:00', '2026-02-30T10:00:00+08:00', 'tomorrow']) {
      expect(placesOf(errorsOf(edited('cron:', `  at: ${at}`)))).toEqual([{ field: 'schedule.at', line: 5 }]);
    }
    expect(placesOf(errorsOf(edited('cron:', '  cron: 0 0 10 * * *\n  at: 2026-11-11T10:00:00Z')))).toEqual([
      { field: 'schedule', line: 4 },
    ]);
  });

  it('reads audiences by uploaded list, scoring without a model, budgets in yuan alone, service messages without opt-out wording', () => {
    const service = VALID_YAML.replace(/audience:\n(?: {2}.*\n)+/, 'audience:\n  list: audiences/vip-2026.csv\n')
      .replace(/scoring:\n(?: {2}.*\n)+/, 'scoring:\n  model: none\n')
      .replace(/budget:\n(?: {2}.*\n)+/, 'budget:\n  yuan: 50.5\n')
      .replace('kind: promotional', 'kind: service')
      .replaceAll('拒收请回复R', '');
    const d = validDefinition(service);
    expect([d.audience, d.scoring, d.budget, d.channel.kind]).toEqual([
      { kind: 'list', listKey: 'audiences/vip-2026.csv' },
      { model: 'none' },
      { yuan: 50.5 },
      'service',
    ]);

    expect(placesOf(errorsOf(service.replace('model: none', 'model: none\n  top_k: 10')))).toEqual([{ field: 'scoring.top_k', line: 10 }]);
    expect(placesOf(errorsOf(service.replace('list: audiences/vip-2026.csv', 'list: ../secrets')))).toEqual([
      { field: 'audience.list', line: 7 },
    ]);
    expect(validDefinition(VALID_YAML.replace(/threshold: .*/, 'top_k: 5000')).scoring).toEqual({ model: 'uplift', topK: 5000 });
  });

  it('takes a Tencent template id as a number and params from constants and item ids', () => {
    const tencent = VALID_YAML.replace('provider: aliyun', 'provider: tencent')
      .replace('template_code: SMS_123456789', 'template_code: 1234567')
      .replace('item: item.title', 'item: item.id\n    shop: const:示例旗舰店')
      .replace('速来看看', '速来${shop}看看');
    const d = validDefinition(tencent);
    expect(d.channel.templateCode).toBe('1234567');
    expect(d.channel.params).toEqual({
      name: { from: 'profile', attribute: 'nickname' },
      item: { from: 'item', field: 'id' },
      shop: { from: 'const', text: '示例旗舰店' },
    });
  });
});
