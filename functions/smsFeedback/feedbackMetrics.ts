/** What operators watch of SMS feedback: deliveries by outcome and carrier code, the delivered share, opt-outs. */
import type { Delivery } from '#lib/contacts';
import type { MetricsRecorder } from '#lib/metrics';

export function recordDeliveries(metrics: MetricsRecorder | undefined, deliveries: Delivery[]): void {
  for (const d of deliveries) {
    if (d.outcome === 'delivered') metrics?.count('SmsDelivered', 1, { via: d.via });
    else metrics?.count('SmsUndelivered', 1, { code: d.code });
    metrics?.observe('SmsDeliveryRate', d.outcome === 'delivered' ? 1 : 0, { function: 'sms-feedback' });
  }
}

export const recordOptOuts = (metrics: MetricsRecorder | undefined, n: number) => metrics?.count('SmsOptOuts', n);
