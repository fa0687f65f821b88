/**
 * The bucket's layout: every key and prefix the platform reads or writes, in one place. The
 * OSS triggers in s.yaml filter on the upload prefixes (test/deploy/syaml.test.ts holds them
 * to these).
 */

// Uploads that start work (OSS triggers).
/** Datasets for train (`datasets/<name>/train.rating`…). */
export const DATASET_PREFIX = 'datasets/';
/** Profile files for campaign's bulk import. */
export const PROFILE_IMPORT_PREFIX = 'imports/profiles/';
/** Campaign definitions as marketers upload them. */
export const CAMPAIGN_DEFINITIONS_PREFIX = 'campaigns/';

// Events.
/** The raw log compaction writes: `dt=YYYY-MM-DD/hh=HH/<first entry id>.jsonl.gz`. */
export const RAW_EVENTS_PREFIX = 'raw/events/';
/** Event-log records compaction could not read, set aside. */
export const UNREADABLE_RECORDS_PREFIX = 'raw/unreadable/';
/** The item catalogue (JSON lines) recommend and campaigns read. */
export const CATALOG_KEY = 'catalog/items.jsonl';

// Models.
/** `models/<name>/<version>/{model.onnx,meta.json,evaluated.onnx}` and `models/<name>/current.json`. */
export const MODELS_PREFIX = 'models/';
/** The version registered last, of any model. */
export const LAST_TRAINED_KEY = `${MODELS_PREFIX}last-trained.json`;

// Campaigns: what the platform keeps, and what it reports.
/** Each campaign's active (last valid) definition. */
export const ACTIVE_DEFINITIONS_PREFIX = 'campaign-state/definitions/';
/** Runs or chunks quiet hours held back, with when they resume. */
export const DEFERRED_RUNS_PREFIX = 'campaign-state/deferred/';
/** Each run as it starts (the uplift model's training data). */
export const CAMPAIGN_RUNS_PREFIX = 'campaign-state/runs/';
/** A top-K run's chosen people, kept so its chunks and replays share them. */
export const TOP_K_PREFIX = 'campaign-state/top-k/';
/** The validation report of each uploaded definition. */
export const DEFINITION_REPORTS_PREFIX = 'campaign-reports/validation/';
/** Each run's report: `<run>.json` and `<run>.html`. */
export const RUN_REPORTS_PREFIX = 'campaign-reports/runs/';
