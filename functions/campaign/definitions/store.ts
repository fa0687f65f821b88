/**
 * Campaign definitions as the platform keeps them. An upload under `campaigns/` is validated
 * (the report, errors with field and line, goes to `campaign-reports/validation/<file>.json`)
 * and, when valid, becomes the campaign's active definition.
 */
import { AppError } from '#lib/errors';
import type { Logger } from '#lib/log';
import { listAll, type ObjectStore } from '#lib/objectStore';
import { getJson, putJson } from '#lib/objectStore/json';
import { ACTIVE_DEFINITIONS_PREFIX, CAMPAIGN_DEFINITIONS_PREFIX, DEFINITION_REPORTS_PREFIX } from '#lib/objectStore/keys';
import { parseDefinition, type CampaignDefinition } from './definition';

export const isDefinitionUpload = (key: string) => key.startsWith(CAMPAIGN_DEFINITIONS_PREFIX) && /\.(ya?ml|json)$/i.test(key);

/** Validates an uploaded definition; a valid one replaces its campaign's active definition. */
export async function registerDefinition(deps: { objects: ObjectStore; clock: () => number; logger: Logger }, key: string) {
  const body = await deps.objects.get(key);
  if (!body) return { file: key, ok: false, errors: [{ field: '(file)', message: 'the upload is gone' }] };
  const { definition, errors } = parseDefinition(body.toString('utf8'), key);
  const report = { file: key, ok: definition !== undefined, errors, checkedAt: new Date(deps.clock()).toISOString() };
  await putJson(deps.objects, `${DEFINITION_REPORTS_PREFIX}${key.slice(CAMPAIGN_DEFINITIONS_PREFIX.length)}.json`, report);
  if (definition) await putJson(deps.objects, `${ACTIVE_DEFINITIONS_PREFIX}${definition.id}.json`, { definition, source: key });
  deps.logger.info(definition ? 'campaign scheduled' : 'campaign definition refused', {
    file: key,
    campaign: definition?.id,
    errors: errors.length,
  });
  return report;
}

/** Every campaign scheduled now, as its last valid upload defined it. */
export async function activeDefinitions(objects: ObjectStore): Promise<CampaignDefinition[]> {
  const definitions: CampaignDefinition[] = [];
  for await (const o of listAll(objects, ACTIVE_DEFINITIONS_PREFIX)) {
    const active = await getJson<{ definition: CampaignDefinition }>(objects, o.key);
    if (active) definitions.push(active.definition);
  }
  return definitions;
}

/** A campaign's active definition, or a 404 naming it. */
export async function activeDefinition(objects: ObjectStore, id: string): Promise<CampaignDefinition> {
  const active = await getJson<{ definition: CampaignDefinition }>(objects, `${ACTIVE_DEFINITIONS_PREFIX}${id}.json`);
  if (!active)
    throw new AppError(
      404,
      'no_such_campaign',
      `no campaign ${id} is scheduled: upload its definition under ${CAMPAIGN_DEFINITIONS_PREFIX}`,
    );
  return active.definition;
}
