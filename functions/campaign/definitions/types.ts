/** A campaign definition as the platform uses it (camelCase), parsed from a marketer's file (snake_case). */
import { STANDARD_EVENT_TYPES } from '#lib/events/behaviour';

/** One validation problem: the field's path as written in the file (`variants[1].template_text`) and its line. */
export interface DefinitionError {
  field: string;
  line?: number;
  message: string;
}

/** Field name of problems with the file as a whole (its name, its syntax). */
export const FILE_FIELD = '(file)';

/** Cron schedules are always read in the marketers' zone, whatever the file says. */
export const CAMPAIGN_TIME_ZONE = 'Asia/Shanghai';

export type CampaignSchedule =
  /** Recurring: a 6-field cron expression (seconds first) in Asia/Shanghai. */
  | { kind: 'cron'; cron: string; timeZone: typeof CAMPAIGN_TIME_ZONE }
  /** One run at `at` (ISO 8601 with an offset, as written). */
  | { kind: 'at'; at: string; epochMs: number };

const WINDOWS = ['d1', 'd7', 'd30'] as const;

/** The closed set of user features an audience rule may test (the feature store's UserFeatures). */
export const FEATURE_PATHS: readonly string[] = [
  ...STANDARD_EVENT_TYPES.flatMap((type) => WINDOWS.map((window) => `counts.${type}.${window}`)),
  'last_active_days',
  'spend',
];

export const OPERATORS = ['=', '!=', '<', '<=', '>', '>=', 'in'] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a profile attribute holds. */
export type AttributeValue = string | number | boolean;

export type AudienceRule =
  /** `value` is a list exactly when `op` is `in`. */
  | { kind: 'feature'; feature: string; op: Operator; value: number | number[] }
  | { kind: 'attribute'; attribute: string; op: Operator; value: AttributeValue | AttributeValue[] }
  | { kind: 'tag'; tag: string; has: boolean };

export type Audience =
  /** Users matching every rule. */
  | { kind: 'rules'; rules: AudienceRule[] }
  /** The user ids of an uploaded list, by object-store key. */
  | { kind: 'list'; listKey: string };

export const SCORING_MODELS = ['uplift', 'propensity', 'none'] as const;
export type ScoredModel = 'uplift' | 'propensity';

export type Scoring =
  /** Everyone in the audience (service messages). */
  | { model: 'none' }
  /** Those scoring at least `threshold`. */
  | { model: ScoredModel; threshold: number; topK?: undefined }
  /** The `topK` best scores. */
  | { model: ScoredModel; topK: number; threshold?: undefined };

export const ITEM_STRATEGIES = ['none', 'top_recommendation'] as const;
export type ItemStrategy = (typeof ITEM_STRATEGIES)[number];

export interface Variant {
  id: string;
  /** The provider-approved template this variant is sent under: its own `template_code`, else the channel's. */
  templateCode: string;
  /** The approved template's text, with `${name}` placeholders, each filled from `channel.params`. */
  templateText: string;
  itemStrategy: ItemStrategy;
  /** Relative share of the treated audience (default 1). */
  weight: number;
}

/** At least one of the two is set. */
export interface Budget {
  messages?: number;
  yuan?: number;
}

export const PROVIDERS = ['aliyun', 'tencent'] as const;
export const MESSAGE_KINDS = ['promotional', 'service'] as const;

export type ParamSource =
  | { from: 'profile'; attribute: string }
  | { from: 'item'; field: 'title' | 'id' }
  | { from: 'const'; text: string };

export interface Channel {
  provider: (typeof PROVIDERS)[number];
  signName: string;
  /** The template of the variants that name none of their own. */
  templateCode?: string;
  kind: (typeof MESSAGE_KINDS)[number];
  /** Placeholder name → where its value comes from, in the file's order. */
  params: Record<string, ParamSource>;
}

export interface CampaignDefinition {
  id: string;
  name: string;
  schedule: CampaignSchedule;
  audience: Audience;
  scoring: Scoring;
  /** Share of the selected audience held out as control (0-0.5, default 0.1). */
  controlShare: number;
  variants: Variant[];
  budget: Budget;
  channel: Channel;
  /** Days after a send in which a conversion counts for the campaign (1-30, default 7). */
  attributionDays: number;
  /** A message's item is never one the person was shown or messaged about in these last days (0-30, default 0: no such rule). */
  skipSeenDays: number;
  /** Send once more to people whose message was proven undelivered (default false). */
  retryUndelivered: boolean;
}
