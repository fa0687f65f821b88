/**
 * The message of a campaign: its variants' template texts and the SMS channel that fills and
 * sends them, checked against each other (placeholders and their sources, the opt-out wording,
 * items only where a variant recommends one).
 */
import { isScalar } from 'yaml';
import { ATTRIBUTE_NAME } from './audience';
import { clip, type DefinitionReader, type Place } from './fields';
import { ITEM_STRATEGIES, MESSAGE_KINDS, PROVIDERS, type Channel, type ItemStrategy, type ParamSource, type Variant } from './types';
import { isPlaceholderName, OPT_OUT_WORDING, placeholdersOf } from '../smsText';

export const SLUG = /^[a-z0-9-]{1,64}$/;
const SLUG_EXPECTED = '1-64 lowercase letters, digits and -';
const MAX_VARIANTS = 4;

const TEMPLATE_CODE: Record<Channel['provider'], { pattern: RegExp; expected: string }> = {
  aliyun: { pattern: /^SMS_\d+$/, expected: 'an Alibaba Cloud template code like SMS_123456789' },
  tencent: { pattern: /^\d+$/, expected: 'a Tencent Cloud template id (digits)' },
};

/** A variant as read, with the places of its fields for the checks that span variants and channel. */
export interface VariantRead {
  variant?: Variant;
  id?: string;
  templateText?: string;
  itemStrategy?: ItemStrategy;
  places: Map<string, Place>;
}

export interface ChannelRead {
  /** Set when the whole channel is valid. */
  channel?: Channel;
  provider?: Channel['provider'];
  kind?: Channel['kind'];
  params?: Map<string, { source: ParamSource; place: Place }>;
}

export function readVariants(r: DefinitionReader, place: Place): VariantRead[] | undefined {
  const reads = r.items(place, 1, MAX_VARIANTS)?.map((item) => readVariant(r, item));
  const firstOfId = new Map<string, number>();
  reads?.forEach(({ id, places }, i) => {
    if (id === undefined) return;
    const first = firstOfId.get(id);
    if (first === undefined) firstOfId.set(id, i);
    else r.fail(places.get('id')!, `repeats the id of variants[${first}]; variant ids must differ`);
  });
  return reads;
}

function readVariant(r: DefinitionReader, place: Place): VariantRead {
  const fields = r.fields(place, ['id', 'template_code', 'template_text', 'item_strategy', 'weight']);
  if (!fields) return { places: new Map() };
  const field = (name: string) => r.required(fields, name, place);
  const id = ifPresent(field('id'), (at) => r.matching(at, SLUG, SLUG_EXPECTED));
  const templateText = ifPresent(field('template_text'), (at) => r.text(at)?.trim());
  const itemStrategy = ifPresent(field('item_strategy'), (at) => r.oneOf(at, ITEM_STRATEGIES));
  const weightAt = r.optional(fields, 'weight');
  const weight = weightAt ? r.number(weightAt, (n) => n > 0, 'a number above 0') : 1;
  const read: VariantRead = { id, templateText, itemStrategy, places: fields };
  // Its template code is checked and settled with the channel's (checkTemplates).
  if (id !== undefined && templateText !== undefined && itemStrategy !== undefined && weight !== undefined)
    read.variant = { id, templateCode: '', templateText, itemStrategy, weight };
  return read;
}

export function readChannel(r: DefinitionReader, place: Place): ChannelRead {
  const fields = r.fields(place, ['provider', 'sign_name', 'template_code', 'kind', 'params']);
  if (!fields) return {};
  const field = (name: string) => r.required(fields, name, place);
  const provider = ifPresent(field('provider'), (at) => r.oneOf(at, PROVIDERS));
  const signName = ifPresent(field('sign_name'), (at) => readSignName(r, at));
  const templateCodeAt = r.optional(fields, 'template_code');
  const templateCode = templateCodeAt ? readTemplateCode(r, templateCodeAt, provider) : undefined;
  const kind = ifPresent(field('kind'), (at) => r.oneOf(at, MESSAGE_KINDS));
  const paramsAt = r.optional(fields, 'params');
  const params = paramsAt ? readParams(r, paramsAt) : new Map<string, { source: ParamSource; place: Place }>();
  const read: ChannelRead = { provider, kind, params };
  if (provider && signName && (templateCode || !templateCodeAt) && kind && params) {
    read.channel = {
      provider,
      signName,
      templateCode,
      kind,
      params: Object.fromEntries([...params].map(([name, { source }]) => [name, source])),
    };
  }
  return read;
}

function readSignName(r: DefinitionReader, place: Place): string | undefined {
  const name = r.text(place)?.trim();
  if (name !== undefined && /[【】]/.test(name))
    return r.fail(place, `must leave out 【】, which the carrier adds: sign_name: ${name.replace(/[【】]/g, '')}`);
  return name;
}

function readTemplateCode(r: DefinitionReader, place: Place, provider: Channel['provider'] | undefined): string | undefined {
  // Tencent template ids are numbers, which YAML and JSON read as such unless quoted.
  const code = isScalar(place.node) && Number.isSafeInteger(place.node.value) ? String(place.node.value) : r.text(place)?.trim();
  if (code === undefined || provider === undefined) return code;
  const { pattern, expected } = TEMPLATE_CODE[provider];
  return pattern.test(code) ? code : r.fail(place, `must be ${expected}, not "${clip(code)}"`);
}

function readParams(r: DefinitionReader, place: Place): ChannelRead['params'] {
  const fields = r.fields(place);
  if (!fields) return undefined;
  const params: NonNullable<ChannelRead['params']> = new Map();
  let valid = true;
  for (const [name, at] of fields) {
    const source = isPlaceholderName(name)
      ? ifPresent(r.required(fields, name, place), (value) => readSource(r, value))
      : r.fail(at, 'a placeholder name is letters, digits and _');
    if (source) params.set(name, { source, place: at });
    else valid = false;
  }
  return valid ? params : undefined;
}

function readSource(r: DefinitionReader, place: Place): ParamSource | undefined {
  const text = r.text(place)?.trim();
  if (text === undefined) return undefined;
  if (text.startsWith('const:')) return { from: 'const', text: text.slice('const:'.length) };
  if (text === 'item.title' || text === 'item.id') return { from: 'item', field: text === 'item.title' ? 'title' : 'id' };
  const profile = /^profile\.(.+)$/.exec(text);
  if (profile && ATTRIBUTE_NAME.test(profile[1])) return { from: 'profile', attribute: profile[1] };
  return r.fail(place, `must be profile.<attribute>, item.title, item.id or const:<text>, not "${clip(text)}"`);
}

/** Each variant's template code: its own, else the channel's; one with neither is reported on the variant. */
function settleTemplateCodes(r: DefinitionReader, variants: VariantRead[], channel: ChannelRead, place: Place): void {
  for (const read of variants) {
    const ownAt = read.places.get('template_code');
    const code = ownAt ? readTemplateCode(r, ownAt, channel.provider) : channel.channel?.templateCode;
    if (!ownAt && !code && channel.channel)
      r.fail(
        read.places.get('id') ?? place,
        `variant ${read.id ?? '?'} needs a template_code: give it one, or give channel.template_code for all`,
      );
    if (read.variant && code) read.variant.templateCode = code;
    else read.variant = undefined;
  }
}

/** The rules between the variants' templates and the channel; each problem is reported where it is fixed. */
export function checkTemplates(r: DefinitionReader, variants: VariantRead[], channel: ChannelRead, variantsAt: Place): void {
  settleTemplateCodes(r, variants, channel, variantsAt);
  const used = new Set<string>();
  for (const { templateText, itemStrategy, places } of variants) {
    if (templateText === undefined) continue;
    const templateAt = places.get('template_text')!;
    if (channel.kind === 'promotional' && !templateText.endsWith(OPT_OUT_WORDING)) {
      r.fail(templateAt, `a promotional template must end with the opt-out wording ${OPT_OUT_WORDING}`);
    }
    const placeholders = placeholdersOf(templateText);
    placeholders.forEach((name) => used.add(name));
    const badNames = placeholders.filter((name) => !isPlaceholderName(name));
    if (badNames.length)
      r.fail(templateAt, `placeholders are \${name} with letters, digits and _: ${badNames.map((n) => `\${${clip(n, 20)}}`).join(', ')}`);
    if (!channel.params) continue;
    const unfilled = placeholders.filter((name) => isPlaceholderName(name) && !channel.params!.has(name));
    if (unfilled.length)
      r.fail(
        templateAt,
        `${unfilled.map((n) => `\${${n}}`).join(', ')} ${unfilled.length > 1 ? 'have' : 'has'} no source in channel.params`,
      );
    const fromItem = placeholders.filter((name) => channel.params!.get(name)?.source.from === 'item');
    if (fromItem.length && itemStrategy === 'none') {
      r.fail(
        places.get('item_strategy')!,
        `the template fills ${fromItem.map((n) => `\${${n}}`).join(', ')} from the recommended item; use item_strategy: top_recommendation`,
      );
    }
  }
  // Whether a source is unused is only known when every template could be read.
  if (!channel.params || variants.some((v) => v.templateText === undefined)) return;
  for (const [name, { place }] of channel.params) {
    if (!used.has(name)) r.fail(place, `\${${name}} appears in no variant's template_text`);
  }
}

const ifPresent = <T>(place: Place | undefined, read: (place: Place) => T | undefined): T | undefined => (place ? read(place) : undefined);
