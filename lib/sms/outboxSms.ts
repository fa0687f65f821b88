/**
 * The embedded SMS sender: appends each message to a JSON-lines outbox file instead of
 * sending it. The number is stored masked, like every log, since the file is read by people.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { maskPhones } from '#lib/log';
import {
  nationalNumber,
  prepareBatch,
  type SendBatchOptions,
  type SendOutcome,
  type SmsBatch,
  type SmsMessage,
  type SmsReceipt,
  type SmsSender,
} from './port';

export class OutboxSmsSender implements SmsSender {
  readonly describe: string;
  readonly provider = 'outbox';
  readonly maxBatch = 1000;

  constructor(
    private readonly file: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.describe = `outbox:${file}`;
  }

  async send(m: SmsMessage): Promise<SmsReceipt> {
    const messageId = randomUUID();
    await this.append([this.line(messageId, m.templateId, { ...m, phone: nationalNumber(m.phone) })]);
    return { provider: 'outbox', messageId };
  }

  /** One line per message with a valid number, all written at once. */
  async sendBatch(batch: SmsBatch, options: SendBatchOptions = {}): Promise<SendOutcome[]> {
    const { outcomes, valid } = prepareBatch(batch, this.maxBatch);
    if (valid.length === 0) return outcomes;
    await options.beforeRequest?.();
    const lines = valid.map((m) => {
      const messageId = randomUUID();
      outcomes[m.index] = { outId: m.outId, status: 'sent', messageId };
      return this.line(messageId, batch.templateId, { ...m, phone: m.national });
    });
    await this.append(lines);
    return outcomes;
  }

  private line(messageId: string, templateId: string, m: { phone: string; params: Record<string, string>; outId: string }): string {
    const line = {
      messageId,
      at: new Date(this.clock()).toISOString(),
      phone: maskPhones(m.phone),
      templateId,
      params: m.params,
      outId: m.outId,
    };
    return `${JSON.stringify(line)}\n`;
  }

  private async append(lines: string[]): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, lines.join(''));
  }
}
