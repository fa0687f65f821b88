/**
 * Campaign definitions as marketers upload them under `campaigns/` (YAML or JSON, snake_case),
 * validated in one pass: every error names the field and its line. JSON is YAML 1.2, so one
 * parser gives lines for both.
 */
import { parseCron } from '#lib/cron';
import { LineCounter, parseDocument, visit, type Node } from 'yaml';
import { readAudience } from './audience';
import { checkTemplates, readChannel, readVariants, SLUG } from './channel';
import { clip, DefinitionReader, type Place } from './fields';
import {
  CAMPAIGN_TIME_ZONE,
  FILE_FIELD,
  SCORING_MODELS,
  type Budget,
  type CampaignDefinition,
  type CampaignSchedule,
  type DefinitionError,
  type Scoring,
} from './types';

export * from './types';

const TOP_LEVEL_FIELDS = [
  'id',
  'name',
  'schedule',
  'audience',
  'scoring',
  'control_share',
  'variants',
  'budget',
  'channel',
  'attribution_days',
  'skip_seen_items_days',
  'retry_undelivered',
] as const;

export const DEFAULT_CONTROL_SHARE = 0.1;
export const DEFAULT_ATTRIBUTION_DAYS = 7;

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseDefinition(text: string, file: string): { definition?: CampaignDefinition; errors: DefinitionError[] } {
  if (!/\.(ya?ml|json)$/i.test(file))
    return { errors: [{ field: FILE_FIELD, message: `${clip(file, 200)}: a campaign definition is a .yaml, .yml or .json file` }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const language = /\.json$/i.test(file) ? 'JSON' : 'YAML';
  const syntaxErrors = doc.errors.map((e) => ({
    field: FILE_FIELD,
    line: lineCounter.linePos(e.pos[0]).line,
    message: `not valid ${language}: ${e.message}`,
  }));
  if (syntaxErrors.length) return { errors: syntaxErrors };

  const r = new DefinitionReader(lineCounter);
  // Aliases could expand without bound and hide where a value was written: refused outright.
  visit(doc, {
    Alias: (_, alias) =>
      void r.fail({ field: FILE_FIELD, line: r.lineOf(alias) }, 'anchors and aliases (*name) are not supported; write the value out'),
  });
  if (r.errors.length) return { errors: r.errors };

  const root: Place = { field: '', node: doc.contents as Node | null };
  const fields = r.fields(root, TOP_LEVEL_FIELDS);
  if (!fields) return { errors: r.errors };
  const field = (name: string) => r.required(fields, name, root);
  const read = <T>(place: Place | undefined, reader: (place: Place) => T | undefined): T | undefined => (place ? reader(place) : undefined);

  const id = read(field('id'), (at) => r.matching(at, SLUG, '1-64 lowercase letters, digits and -'));
  const name = read(field('name'), (at) => r.text(at)?.trim());
  const schedule = read(field('schedule'), (at) => readSchedule(r, at));
  const audience = read(field('audience'), (at) => readAudience(r, at));
  const scoring = read(field('scoring'), (at) => readScoring(r, at));
  const controlShareAt = r.optional(fields, 'control_share');
  const controlShare = controlShareAt
    ? r.number(controlShareAt, (n) => n >= 0 && n <= 0.5, 'a share from 0 to 0.5')
    : DEFAULT_CONTROL_SHARE;
  const variantsAt = field('variants');
  const variants = read(variantsAt, (at) => readVariants(r, at));
  const budget = read(field('budget'), (at) => readBudget(r, at));
  const channelAt = field('channel');
  const channel = channelAt ? readChannel(r, channelAt) : {};
  const attributionAt = r.optional(fields, 'attribution_days');
  const attributionDays = attributionAt
    ? r.number(attributionAt, (n) => Number.isInteger(n) && n >= 1 && n <= 30, 'a whole number of days from 1 to 30')
    : DEFAULT_ATTRIBUTION_DAYS;
  const skipSeenAt = r.optional(fields, 'skip_seen_items_days');
  const skipSeenDays = skipSeenAt
    ? r.number(skipSeenAt, (n) => Number.isInteger(n) && n >= 0 && n <= 30, 'a whole number of days from 0 to 30')
    : 0;
  const retryAt = r.optional(fields, 'retry_undelivered');
  const retryUndelivered = retryAt ? r.flag(retryAt) : false;
  if (variants) checkTemplates(r, variants, channel, variantsAt!);

  const errors = r.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const parts = {
    id,
    name,
    schedule,
    audience,
    scoring,
    controlShare,
    variants: variants?.map((v) => v.variant),
    budget,
    channel: channel.channel,
    attributionDays,
    skipSeenDays,
    retryUndelivered,
  };
  if (errors.length || Object.values(parts).some((part) => part === undefined) || parts.variants!.some((v) => v === undefined))
    return { errors };
  return { definition: parts as CampaignDefinition, errors };
}

function readSchedule(r: DefinitionReader, place: Place): CampaignSchedule | undefined {
  const given = r.either(place, 'cron', 'at', 'give either cron (recurring) or at (one run), not both');
  if (!given) return undefined;
  const { a: cronAt, b: atAt } = given;
  if (cronAt) {
    const cron = r.text(cronAt)?.trim();
    if (cron === undefined) return undefined;
    if (/^CRON_TZ=/.test(cron)) return r.fail(cronAt, `is always read in ${CAMPAIGN_TIME_ZONE}; leave out the CRON_TZ= prefix`);
    if (cron.startsWith('@')) return r.fail(cronAt, `must be 6 fields, seconds first (0 0 10 * * MON), not "${clip(cron)}"`);
    try {
      parseCron(`CRON_TZ=${CAMPAIGN_TIME_ZONE} ${cron}`);
    } catch (e) {
      return r.fail(cronAt, (e as Error).message.replace(`CRON_TZ=${CAMPAIGN_TIME_ZONE} `, ''));
    }
    return { kind: 'cron', cron, timeZone: CAMPAIGN_TIME_ZONE };
  }
  if (atAt) {
    const at = r.text(atAt)?.trim();
    if (at === undefined) return undefined;
    const epochMs = epochOfIsoWithOffset(at);
    return epochMs === undefined
      ? r.fail(atAt, `must be a time with its offset, like 2026-11-11T10:00:00+08:00, not "${clip(at)}"`)
      : { kind: 'at', at, epochMs };
  }
  return r.fail(place, 'needs cron (a recurring 6-field expression, seconds first) or at (one run, a time with its offset)');
}

/** Epoch ms of an ISO 8601 time with an offset, or undefined (also for dates that do not exist, like 02-30). */
function epochOfIsoWithOffset(text: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  const epochMs = m ? Date.parse(text) : NaN;
  if (!m || Number.isNaN(epochMs)) return undefined;
  const offsetMin = m[7] === 'Z' ? 0 : (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(4, 6)));
  const local = new Date(epochMs + offsetMin * 60_000);
  const same = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes()].every(
    (v, i) => v === Number(m[i + 1]),
  );
  return same ? epochMs : undefined;
}

function readScoring(r: DefinitionReader, place: Place): Scoring | undefined {
  const fields = r.fields(place, ['model', 'threshold', 'top_k']);
  if (!fields) return undefined;
  const modelAt = r.required(fields, 'model', place);
  const model = modelAt && r.oneOf(modelAt, SCORING_MODELS);
  const thresholdAt = r.optional(fields, 'threshold');
  const topKAt = r.optional(fields, 'top_k');
  if (model === 'none') {
    for (const at of [thresholdAt, topKAt]) if (at) r.fail(at, 'model none scores nobody, so it takes no threshold or top_k');
    return thresholdAt || topKAt ? undefined : { model };
  }
  if (thresholdAt && topKAt) return r.fail(place, 'give either threshold or top_k, not both');
  if (!thresholdAt && !topKAt)
    return model ? r.fail(place, `model ${model} needs threshold (a score from 0 to 1) or top_k (how many users)`) : undefined;
  const threshold = thresholdAt && r.number(thresholdAt, (n) => n >= 0 && n <= 1, 'a score from 0 to 1');
  const topK = topKAt && r.number(topKAt, (n) => Number.isSafeInteger(n) && n > 0, 'a whole number above 0');
  if (!model) return undefined;
  if (threshold !== undefined) return { model, threshold };
  return topK === undefined ? undefined : { model, topK };
}

function readBudget(r: DefinitionReader, place: Place): Budget | undefined {
  const fields = r.fields(place, ['messages', 'yuan']);
  if (!fields) return undefined;
  const messagesAt = r.optional(fields, 'messages');
  const yuanAt = r.optional(fields, 'yuan');
  if (!messagesAt && !yuanAt)
    return r.fail(place, 'needs messages (how many to send at most) or yuan (how much to spend at most), or both');
  const messages = messagesAt && r.number(messagesAt, (n) => Number.isSafeInteger(n) && n > 0, 'a whole number above 0');
  const yuan = yuanAt && r.number(yuanAt, (n) => n > 0, 'an amount above 0');
  if ((messagesAt && messages === undefined) || (yuanAt && yuan === undefined)) return undefined;
  return { ...(messages === undefined ? {} : { messages }), ...(yuan === undefined ? {} : { yuan }) };
}
