import { redisUrlOf, usesRedis, type Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import { MemoryContactLedger } from './memoryLedger';
import type { ContactLedger } from './port';
import { RedisContactLedger } from './redisLedger';

export {
  CONTACT_RETENTION_MS,
  type BudgetLimits,
  type Contact,
  type ContactCaps,
  type ContactHistory,
  type ContactLedger,
  type Delivery,
  type DeliveryLedger,
  type PersonState,
  type RunActivity,
  type RunLedger,
  type RunProgress,
} from './port';
export { messagedItems } from './history';
export { campaignRunKey, chunkProgressKey } from './runKeys';
export { isUncertain, outIdOf, runOfOutId, settlementOf, type Settlement } from './settlement';

/** Redis when it is configured, else this process's memory; one per process. */
export function contactLedgerFrom(c: Config): ContactLedger {
  return usesRedis(c)
    ? processShared(`contacts:${c.redisUrl}:${c.redisPrefix}`, () => new RedisContactLedger({ url: redisUrlOf(c), prefix: c.redisPrefix }))
    : processShared('contacts:memory', () => new MemoryContactLedger());
}
