/** The in-instance nonce guard: each nonce once within its window, again after it, bounded in size. */
import { NonceMemo } from '#lib/auth/nonceMemo';

it('takes a nonce once within its window and again once the window has passed', () => {
  const memo = new NonceMemo(600_000);
  expect(memo.use('demo:n1', 0)).toBe(true);
  expect(memo.use('demo:n1', 599_999)).toBe(false);
  expect(memo.use('demo:n2', 599_999)).toBe(true);
  expect(memo.use('demo:n1', 600_000)).toBe(true);
  expect(memo.use('demo:n1', 600_001)).toBe(false);
});

it('holds at most its capacity: expired nonces go first, then the oldest', () => {
  const memo = new NonceMemo(1000, 3);
  for (const [nonce, at] of [
    ['a', 0],
    ['b', 10],
    ['c', 2000],
  ] as const)
    expect(memo.use(nonce, at)).toBe(true);
  // Full: a and b have expired and make room; c is still remembered.
  expect(memo.use('d', 2001)).toBe(true);
  expect(memo.use('c', 2002)).toBe(false);
  expect(memo.use('e', 2003)).toBe(true);
  expect(memo.use('f', 2004)).toBe(true); // full of live nonces: c, the oldest, goes
  expect(memo.use('c', 2005)).toBe(true);
  expect(memo.use('f', 2006)).toBe(false);
});
