/**
 * Campaign policy that does not need the ledger: who is held out as control and which variant
 * a person gets (stable per person and campaign, so a rerun decides the same), quiet hours,
 * and what a message says and costs.
 */
import { createHash } from 'node:crypto';
import { SHANGHAI_OFFSET_MS } from '#lib/clock';
import type { AttributeValue } from '#lib/profiles/port';
import type { CampaignDefinition, Variant } from './definition';
import { fillTemplate, segments } from './smsText';

/** A number in [0, 1) fixed by its inputs. */
export function stableShare(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

export const inControl = (d: CampaignDefinition, userId: string) => stableShare('control', d.id, userId) < d.controlShare;

/** A variant by weight, stable per person and campaign. */
export function variantOf(d: CampaignDefinition, userId: string): Variant {
  const total = d.variants.reduce((n, v) => n + v.weight, 0);
  let point = stableShare('variant', d.id, userId) * total;
  for (const v of d.variants) if ((point -= v.weight) < 0) return v;
  return d.variants[d.variants.length - 1];
}

const DAY_MIN = 24 * 60;
const minuteOfDay = (ms: number) => Math.floor(((ms + SHANGHAI_OFFSET_MS) % 86_400_000) / 60_000);

/** When quiet hours end, if `ms` falls in them (they may span midnight); undefined when sending is allowed. */
export function quietUntil(ms: number, quiet: { fromMin: number; toMin: number }): number | undefined {
  const now = minuteOfDay(ms);
  const inQuiet = quiet.fromMin <= quiet.toMin ? now >= quiet.fromMin && now < quiet.toMin : now >= quiet.fromMin || now < quiet.toMin;
  if (!inQuiet) return undefined;
  const wait = (quiet.toMin - now + DAY_MIN) % DAY_MIN;
  return Math.floor(ms / 60_000) * 60_000 + wait * 60_000;
}

export interface Rendered {
  /** The template's parameters, in the channel's order. */
  params: Record<string, string>;
  text: string;
  segments: number;
}

/** The message for a person, or the name of the parameter their profile (or their item) cannot fill. */
export function render(d: CampaignDefinition, variant: Variant, attributes: Record<string, AttributeValue>, item?: { id: string; title: string }): Rendered | { missing: string } {
  const params: Record<string, string> = {};
  for (const [name, source] of Object.entries(d.channel.params)) {
    const value = source.from === 'const' ? source.text : source.from === 'profile' ? attributes[source.attribute] : item?.[source.field];
    if (value === undefined || value === '') return { missing: name };
    params[name] = String(value);
  }
  const text = fillTemplate(variant.templateText, params);
  return { params, text, segments: segments(text, d.channel.signName) };
}
