/**
 * What became of a run's messages once the carriers and the people answered (sms-feedback keeps
 * it in the contact ledger and on the profiles): delivered, undelivered by carrier code, still
 * awaiting a receipt, the delivered share, people who opted out by replying after the run
 * started, and the cost as billed (the receipt's segments where it gives them).
 */
import type { DeliveryLedger } from '#lib/contacts';
import type { ProfileBook } from '#lib/profiles';
import { increment } from '#lib/tally';
import { costYuan } from '../smsText';

export interface DeliveryFigures {
  delivered: number;
  undelivered: Record<string, number>;
  awaitingReceipt: number;
  /** Delivered over sent; undefined before anything was sent. */
  deliveryRate?: number;
  optedOut: number;
  actualCostYuan: number;
}

const PAGE = 1000;

/** `sent`: each sent person's id and the segments the run counted for them. */
export async function deliveryFigures(
  deps: { ledger: DeliveryLedger; profiles: ProfileBook },
  run: string,
  startedMs: number,
  sent: [string, number][],
  priceMilliYuan: number,
): Promise<DeliveryFigures> {
  const figures: DeliveryFigures = { delivered: 0, undelivered: {}, awaitingReceipt: 0, optedOut: 0, actualCostYuan: 0 };
  let segments = 0;
  for (let i = 0; i < sent.length; i += PAGE) {
    const page = sent.slice(i, i + PAGE);
    const ids = page.map(([id]) => id);
    const [deliveries, profiles] = await Promise.all([deps.ledger.deliveriesOf(run, ids), deps.profiles.store.get(ids)]);
    page.forEach(([, counted], k) => {
      const d = deliveries[k];
      if (!d) figures.awaitingReceipt++;
      else if (d.outcome === 'delivered') figures.delivered++;
      else increment(figures.undelivered, d.code);
      segments += d?.segments ?? counted;
      const consent = profiles[k]?.consentSms;
      if (consent && !consent.granted && consent.source.startsWith('reply:') && consent.at >= startedMs) figures.optedOut++;
    });
  }
  figures.actualCostYuan = costYuan(segments, priceMilliYuan / 1000);
  if (sent.length > 0) figures.deliveryRate = figures.delivered / sent.length;
  return figures;
}
