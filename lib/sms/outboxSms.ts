/**
 * The embedded SMS sender: appends each message to a JSON-lines outbox file instead of
 * sending it. The number is stored masked, like every log, since the file is read by people.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { maskPhones } from '#lib/log';
import { nationalNumber, type SmsMessage, type SmsReceipt, type SmsSender } from './port';

export class OutboxSmsSender implements SmsSender {
  readonly describe: string;

  constructor(
    private readonly file: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.describe = `outbox:${file}`;
  }

  async send(m: SmsMessage): Promise<SmsReceipt> {
    const messageId = randomUUID();
    const line = {
      messageId,
      at: new Date(this.clock()).toISOString(),
      phone: maskPhones(nationalNumber(m.phone)),
      templateId: m.templateId,
      params: m.params,
      outId: m.outId,
    };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, JSON.stringify(line) + '\n');
    return { provider: 'outbox', messageId };
  }
}
