/**
 * Lua scripts that apply a folded batch in one call each: per-call client overhead, not
 * Redis, is what limits a pipeline of many small commands. Each script touches keys of one
 * hash tag only (one user's keys, or the `{items}` keys), so it runs on a Tair cluster too.
 */

/**
 * KEYS: recent list, profile hash, purchased set, then one count hash per day.
 * ARGV: recent limit, user TTL, count TTL, spend, n recent, n recent entries (oldest first),
 *       n purchased, n purchased item ids, then per count hash: n types, then type/count pairs.
 */
export const RECORD_USER = `
local limit, ttl, countTtl, spend, nRecent = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local a = 6
if nRecent > 0 then
  redis.call('LPUSH', KEYS[1], unpack(ARGV, a, a + nRecent - 1))
  redis.call('LTRIM', KEYS[1], 0, limit - 1)
  redis.call('EXPIRE', KEYS[1], ttl)
end
a = a + nRecent
if spend ~= 0 then
  redis.call('HINCRBYFLOAT', KEYS[2], 'spend', ARGV[4])
  redis.call('EXPIRE', KEYS[2], ttl)
end
local nPurchased = tonumber(ARGV[a])
if nPurchased > 0 then
  redis.call('SADD', KEYS[3], unpack(ARGV, a + 1, a + nPurchased))
  redis.call('EXPIRE', KEYS[3], ttl)
end
a = a + 1 + nPurchased
for k = 4, #KEYS do
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('EXPIRE', KEYS[k], countTtl)
end
return 1
`;

/**
 * KEYS: popularity sorted set, then one trend sorted set per hour.
 * ARGV: trend TTL, n items, item/increment pairs, then per trend set: n items, item/weight pairs.
 */
export const RECORD_ITEMS = `
local ttl = ARGV[1]
local n = tonumber(ARGV[2])
local a = 3
for i = 1, n do
  redis.call('ZINCRBY', KEYS[1], ARGV[a + 1], ARGV[a])
  a = a + 2
end
for k = 2, #KEYS do
  local m = tonumber(ARGV[a])
  a = a + 1
  for i = 1, m do
    redis.call('ZINCRBY', KEYS[k], ARGV[a + 1], ARGV[a])
    a = a + 2
  end
  redis.call('EXPIRE', KEYS[k], ttl)
end
return 1
`;

/** KEYS: recent list, purchased set. ARGV: recent limit. Recommend's read of a user, in one command and one reply. */
export const READ_HISTORY = `return {redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1), redis.call('SMEMBERS', KEYS[2])}`;
