/**
 * `POST /v1/profiles` (the backend only, server-signed): upserts up to 500 profiles a request,
 * `{"profiles": [{user_id, phone, consent_sms: {granted, at, source}, tags, attributes}]}`.
 * A bad profile is rejected alone; a store failure is a 503 the backend retries.
 */
import { AppError, badRequest } from '#lib/errors';
import { jsonBody } from '#lib/fc/jsonBody';
import { MAX_PROFILES, validateProfiles, type ProfileRejection } from '#lib/profiles';
import type { IngestDeps, IngestRequest } from './ingestBatch';
import { admit, backendCaller } from './serverCall';

export const PROFILES_PATH = '/v1/profiles';

function profilesOf(body: Buffer): unknown[] {
  const profiles = (jsonBody(body) as { profiles?: unknown } | null)?.profiles;
  if (!Array.isArray(profiles)) throw badRequest('missing_profiles', 'body must be a JSON object with a "profiles" array');
  if (profiles.length > MAX_PROFILES) throw new AppError(413, 'too_many_profiles', `at most ${MAX_PROFILES} profiles per request`);
  return profiles;
}

export async function upsertProfiles(deps: IngestDeps, req: IngestRequest): Promise<{ accepted: number; rejected: ProfileRejection[] }> {
  const caller = backendCaller(deps, PROFILES_PATH, req);
  const profiles = profilesOf(req.body);
  await admit(deps, caller, Math.max(profiles.length, 1), 'profile_store_unavailable');
  const { valid, rejected } = validateProfiles(profiles);
  if (valid.length > 0) await deps.profiles.upsert(valid.map((v) => v.update));
  return { accepted: valid.length, rejected };
}
