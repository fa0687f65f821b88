import { shanghaiDateHour } from '#lib/clock';
import { createLogger, maskPhones } from '#lib/log';

describe('logging', () => {
  it('masks mainland mobile numbers, with or without +86', () => {
    expect(maskPhones('call 13812345678 or +86 13912345678, order 202611211234567')).toBe(
      'call 138****5678 or +86 139****5678, order 202611211234567',
    );
  });

  it('writes JSON lines with bound fields and never a full phone number', () => {
    const lines: string[] = [];
    const logger = createLogger({ fn: 'campaign' }, (l) => lines.push(l), 'info').child({ requestId: 'r1' });
    logger.debug('hidden');
    logger.info('sent', { phone: '15012345678', err: new Error('boom 15012345678') });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]);
    expect(record).toMatchObject({ level: 'info', msg: 'sent', fn: 'campaign', requestId: 'r1', phone: '150****5678' });
    expect(record.err).toMatchObject({
      name: 'Error',
      message: 'boom 150****5678',
      stack: expect.arrayContaining([expect.stringContaining('log.test.ts')]),
    });
    expect(lines[0]).not.toMatch(/15012345678/);
  });
});

describe('business time', () => {
  it('puts instants in Asia/Shanghai date and hour', () => {
    expect(shanghaiDateHour(Date.parse('2026-11-21T15:59:59Z'))).toEqual({ date: '2026-11-21', hour: '23' });
    expect(shanghaiDateHour(Date.parse('2026-11-21T16:00:00Z'))).toEqual({ date: '2026-11-22', hour: '00' });
  });
});
