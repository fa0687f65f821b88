/** The decoders read FC's own payloads (test/fixtures/fc3/events, copied from the fc3 component). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeHttpEvent, decodeInvocation, decodeOssEvent, decodeTimerEvent } from '#lib/fc/decode';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/fc3/events', name));

describe('FC payload decoding', () => {
  it('decodes the HTTP trigger payload', () => {
    const req = decodeHttpEvent(JSON.parse(fixture('http.json').toString()));
    expect(req).toMatchObject({
      method: 'POST',
      path: '/2023-03-30/functions/fc3-event-test-http-trigger-Darwin-x86_64/invocations',
      sourceIp: '112.10.236.5',
      query: {},
    });
    expect(req.body.toString()).toBe('haha');
    expect(req.headers['content-type']).toBe('application/octet-stream');
    expect(req.receivedAt).toBe(1692281291805);
  });

  it('decodes base64 bodies', () => {
    const raw = JSON.parse(fixture('http.json').toString());
    const req = decodeHttpEvent({ ...raw, body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true });
    expect(req.body.toString()).toBe('{"a":1}');
  });

  it('decodes the OSS trigger payload', () => {
    expect(decodeOssEvent(JSON.parse(fixture('oss.json').toString()))).toEqual([
      {
        eventName: 'ObjectCreated:PutObject',
        bucket: 'testbucket',
        key: 'image/a.jpg',
        size: 122539,
        eTag: '688A7BF4F233DC9C88A80BF985AB7329',
        time: '2017-04-21T12:46:37.000Z',
        requestId: '58F9FF2D3DF792092E12044C',
      },
    ]);
  });

  it('decodes URL-encoded OSS keys', () => {
    const raw = JSON.parse(fixture('oss.json').toString());
    raw.events[0].oss.object.key = 'datasets/%E6%95%B0%E6%8D%AE+1.csv';
    expect(decodeOssEvent(raw)[0].key).toBe('datasets/数据 1.csv');
  });

  it('decodes the timer trigger payload', () => {
    expect(decodeTimerEvent(JSON.parse(fixture('timer.json').toString()))).toEqual({
      triggerName: 'timer-trigger',
      triggerTime: '2018-02-09T05:49:00Z',
      payload: 'awesome-fc',
    });
  });

  it('tells each trigger apart from the Buffer FC hands the handler', () => {
    expect(decodeInvocation(fixture('oss.json')).kind).toBe('oss');
    expect(decodeInvocation(fixture('timer.json')).kind).toBe('timer');
    expect(decodeInvocation(fixture('http.json')).kind).toBe('http');
    expect(decodeInvocation(Buffer.from('{"schedule":"x"}'))).toEqual({ kind: 'direct', payload: { schedule: 'x' } });
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    [
      'an OSS record without a key',
      Buffer.from('{"events":[{"eventSource":"acs:oss","oss":{"bucket":{},"object":{}}}]}'),
      /oss.object.key/,
    ],
    ['a timer without a time', Buffer.from('{"triggerName":"t","triggerTime":"soon"}'), /triggerTime/],
  ])('rejects %s with a 400 naming the problem', (_label, payload, message) => {
    expect(() => decodeInvocation(payload)).toThrow(message);
    try {
      decodeInvocation(payload);
    } catch (err) {
      expect(err).toMatchObject({ status: 400, code: 'bad_event' });
    }
  });
});
