/**
 * The profile contract (`POST /v1/profiles`, bulk imports): each profile is checked alone, and
 * a bad one is rejected with a code naming the field while the rest go on.
 */
import { checkEach, Invalid, isObject } from '#lib/contractCheck';
import { e164 } from './phoneVault';
import type { AttributeValue, ConsentStatement } from './port';

export const MAX_PROFILES = 500;
const MAX_ID = 128;
const MAX_TAGS = 50;
const MAX_ATTRIBUTES = 50;
const KNOWN_FIELDS = new Set(['user_id', 'phone', 'consent_sms', 'tags', 'attributes']);

/** What one profile asks to change; absent fields keep what the store holds. */
export interface ProfileUpdate {
  userId: string;
  /** E.164 */
  phone?: string;
  consentSms?: ConsentStatement;
  tags?: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface ProfileRejection {
  index: number;
  user_id: string | null;
  code: string;
  message: string;
}

const shortString = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;

function consentOf(raw: unknown): ConsentStatement {
  if (!isObject(raw) || typeof raw.granted !== 'boolean' || !shortString(raw.source, 64)) {
    throw new Invalid('invalid_consent_sms', 'consent_sms must be {"granted": boolean, "at": time, "source": string of 1-64 characters}');
  }
  if (raw.at === undefined) return { granted: raw.granted, source: raw.source as string };
  const at =
    typeof raw.at === 'number' ? raw.at : typeof raw.at === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw.at) ? Date.parse(raw.at) : NaN;
  if (!Number.isSafeInteger(at) || at <= 0)
    throw new Invalid(
      'invalid_consent_sms',
      'consent_sms.at must be epoch milliseconds or an ISO time (or left out: then it is when it reached us)',
    );
  return { granted: raw.granted, at, source: raw.source as string };
}

function attributesOf(raw: unknown): Record<string, AttributeValue> {
  const entries = isObject(raw) ? Object.entries(raw) : undefined;
  const valid = (v: unknown) =>
    typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256);
  if (!entries || entries.length > MAX_ATTRIBUTES || !entries.every(([k, v]) => shortString(k, 64) && valid(v))) {
    throw new Invalid(
      'invalid_attributes',
      `attributes must be an object of at most ${MAX_ATTRIBUTES} names, each a string (≤ 256), number or boolean`,
    );
  }
  return Object.fromEntries(entries) as Record<string, AttributeValue>;
}

function checkProfile(raw: unknown): ProfileUpdate {
  if (!isObject(raw)) throw new Invalid('not_an_object', 'profile must be a JSON object');
  for (const field in raw) if (!KNOWN_FIELDS.has(field)) throw new Invalid('unknown_field', `unknown field ${field.slice(0, 64)}`);
  if (!shortString(raw.user_id, MAX_ID)) throw new Invalid('invalid_user_id', `user_id must be a string of 1-${MAX_ID} characters`);
  const update: ProfileUpdate = { userId: raw.user_id as string };
  if (raw.phone !== undefined) {
    if (typeof raw.phone !== 'string') throw new Invalid('invalid_phone', 'phone must be a mainland mobile number');
    try {
      update.phone = e164(raw.phone);
    } catch {
      throw new Invalid('invalid_phone', 'phone must be a mainland mobile number');
    }
  }
  if (raw.consent_sms !== undefined) update.consentSms = consentOf(raw.consent_sms);
  if (raw.tags !== undefined) {
    if (!Array.isArray(raw.tags) || raw.tags.length > MAX_TAGS || !raw.tags.every((t) => shortString(t, 64))) {
      throw new Invalid('invalid_tags', `tags must be an array of at most ${MAX_TAGS} strings of 1-64 characters`);
    }
    update.tags = [...new Set(raw.tags as string[])];
  }
  if (raw.attributes !== undefined) update.attributes = attributesOf(raw.attributes);
  return update;
}

/** Splits profiles into updates (with their index) and rejections. */
export function validateProfiles(profiles: unknown[]): { valid: { index: number; update: ProfileUpdate }[]; rejected: ProfileRejection[] } {
  const { valid, rejected } = checkEach(profiles, checkProfile, (raw) =>
    isObject(raw) && typeof raw.user_id === 'string' ? raw.user_id.slice(0, MAX_ID) : null,
  );
  return {
    valid: valid.map(({ index, value }) => ({ index, update: value })),
    rejected: rejected.map(({ id, ...r }) => ({ ...r, user_id: id })),
  };
}
