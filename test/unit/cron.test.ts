import { parseCron } from '#lib/cron';

const at = (iso: string) => Date.parse(iso);

describe('FC timer expressions', () => {
  it('reads six fields, seconds first, in UTC by default', () => {
    const s = parseCron('0 0 4 * * *');
    expect(s.matches(at('2026-11-21T04:00:00Z'))).toBe(true);
    expect(s.matches(at('2026-11-21T04:00:01Z'))).toBe(false);
    expect(s.matches(at('2026-11-21T12:00:00+08:00'))).toBe(true);
  });

  it('honours CRON_TZ=Asia/Shanghai', () => {
    const s = parseCron('CRON_TZ=Asia/Shanghai 0 0 10 * * *');
    expect(s.timeZone).toBe('Asia/Shanghai');
    expect(s.matches(at('2026-11-21T02:00:00Z'))).toBe(true);
    expect(s.matches(at('2026-11-21T10:00:00Z'))).toBe(false);
  });

  it('supports lists, ranges, steps, names and day-of-week', () => {
    const s = parseCron('*/15 0,30 9-17 * * MON-FRI');
    expect(s.matches(at('2026-11-20T09:30:45Z'))).toBe(true); // a Friday
    expect(s.matches(at('2026-11-21T09:30:45Z'))).toBe(false); // Saturday
    expect(s.matches(at('2026-11-20T09:31:00Z'))).toBe(false);
    expect(parseCron('0 0 0 1 JAN ?').matches(at('2027-01-01T00:00:00Z'))).toBe(true);
    expect(parseCron('0 0 0 * * 7').matches(at('2026-11-22T00:00:00Z'))).toBe(true); // Sunday as 7
  });

  it('matches either day field when both are restricted', () => {
    const s = parseCron('0 0 0 1 * MON');
    expect(s.matches(at('2026-12-01T00:00:00Z'))).toBe(true); // the 1st, a Tuesday
    expect(s.matches(at('2026-11-23T00:00:00Z'))).toBe(true); // a Monday
    expect(s.matches(at('2026-11-24T00:00:00Z'))).toBe(false);
  });

  it('supports @every', () => {
    const s = parseCron('@every 5m');
    expect(s.matches(at('2026-11-21T00:05:00Z'))).toBe(true);
    expect(s.matches(at('2026-11-21T00:06:00Z'))).toBe(false);
  });

  it.each([
    ['0 0 * * *', /6 fields/],
    ['0 61 * * * *', /minute value "61"/],
    ['0 0 25 * * *', /hour value "25"/],
    ['CRON_TZ=Mars/Base 0 0 0 * * *', /unknown time zone/],
    ['0 0 0 * * */0', /bad step/],
  ])('rejects "%s" with a message naming the field', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });
});
