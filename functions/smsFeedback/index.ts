/**
 * FC entry of `sms-feedback` (built-in nodejs20 runtime, event handler): its HTTP trigger takes
 * the SMS providers' pushes, delivery reports and replies (callbacks.ts); its timer settles the
 * sends still uncertain with the provider's query API (reconcile.ts).
 */
import { now } from '#lib/clock';
import { config, smsCallbackTokenOf } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { eventHandler } from '#lib/fc/eventFunction';
import { metricsRecorderFor } from '#lib/metrics';
import { profileBookFrom } from '#lib/profiles';
import { deliveryLookupFrom } from '#lib/sms';
import { feedbackUseCase } from './app';

const c = config();
export const handler = eventHandler(
  'sms-feedback',
  feedbackUseCase({
    token: smsCallbackTokenOf(c),
    ledger: contactLedgerFrom(c),
    profiles: profileBookFrom(c),
    lookup: deliveryLookupFrom(c),
    reconcileAfterMs: c.smsReconcileAfterMin * 60_000,
    qps: c.smsQps,
    clock: now,
    metrics: metricsRecorderFor(c, 'sms-feedback'),
    priceMilliYuan: c.smsPriceMilliYuan,
  }),
);
