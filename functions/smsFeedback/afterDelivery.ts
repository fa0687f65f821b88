/**
 * What follows a delivery newly known (a receipt, or the provider's query): the person's contact
 * history gets the outcome and what it cost as billed, and operators' metrics count deliveries
 * by outcome and carrier code, the delivered share and opt-outs.
 */
import type { Contact, ContactHistory, Delivery } from '#lib/contacts';
import type { MetricsRecorder } from '#lib/metrics';

export interface AfterDeliveryDeps {
  ledger: ContactHistory;
  metrics?: MetricsRecorder;
  /** The price of one segment, for the cost of a receipt that gives its segments. */
  priceMilliYuan?: number;
}

export async function noteDeliveries(deps: AfterDeliveryDeps, run: string, deliveries: [string, Delivery][]): Promise<void> {
  for (const [, d] of deliveries) {
    if (d.outcome === 'delivered') deps.metrics?.count('SmsDelivered', 1, { via: d.via });
    else deps.metrics?.count('SmsUndelivered', 1, { code: d.code });
    deps.metrics?.observe('SmsDeliveryRate', d.outcome === 'delivered' ? 1 : 0, { function: 'sms-feedback' });
  }
  const campaign = run.slice(0, run.indexOf('@'));
  const contact = (d: Delivery): Contact => ({
    channel: 'sms',
    at: d.at,
    items: [],
    campaign,
    run,
    outcome: d.outcome === 'delivered' ? 'delivered' : `undelivered:${d.code}`,
    ...(d.segments !== undefined && deps.priceMilliYuan !== undefined ? { costMilliYuan: d.segments * deps.priceMilliYuan } : {}),
  });
  await deps.ledger.noteContacts(deliveries.map(([userId, d]) => [userId, contact(d)]));
}

export const recordOptOuts = (metrics: MetricsRecorder | undefined, n: number) => metrics?.count('SmsOptOuts', n);
