/** What a person's contact history says to the channels that read it. */
import type { Contact } from './port';

/** The items messages named, leaving out a run's message the carrier reported undelivered (the person never saw it). */
export function messagedItems(contacts: Contact[]): Set<string> {
  const sms = contacts.filter((c) => c.channel === 'sms');
  const undelivered = new Set(sms.filter((c) => c.outcome?.startsWith('undelivered')).map((c) => c.run));
  return new Set(sms.filter((c) => !undelivered.has(c.run)).flatMap((c) => c.items));
}
