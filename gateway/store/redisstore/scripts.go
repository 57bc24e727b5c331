package redisstore

import "github.com/redis/go-redis/v9"

// The multi-step operations run as Lua scripts: Redis runs a script atomically, and go-redis sends
// EVALSHA and falls back to EVAL when the server does not know the script (after a restart or a
// failover). Each script touches exactly one key, given in KEYS, so it is valid on Redis Cluster.
//
// Lua numbers are doubles: counters and limits are exact up to 2^53, and timestamps are formatted
// with %.0f because tostring would write large integers in exponent notation.

// compareAndDelete: KEYS[1]; ARGV[1] expected value. Returns 1 if deleted.
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// compareAndExpire: KEYS[1]; ARGV[1] expected value, ARGV[2] ttl in ms. Returns 1 if the expiry was
// set.
var compareAndExpire = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// incr: KEYS[1]; ARGV[1] delta, ARGV[2] ttl in ms. The expiry is set only when INCRBY created the
// key (a fixed window): a key that already had one keeps it.
var incr = redis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return n
`)

// incrUpTo: KEYS[1]; ARGV[1] delta, ARGV[2] limit, ARGV[3] ttl in ms. Returns {value, added}. A
// refused call writes nothing, so an absent key stays absent.
var incrUpTo = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local n = 0
if cur then
  if not string.find(cur, '^%-?%d+$') then
    return redis.error_reply('ERR value is not an integer or out of range')
  end
  n = tonumber(cur)
end
local delta = tonumber(ARGV[1])
if delta > 0 and n + delta > tonumber(ARGV[2]) then
  return {n, 0}
end
n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {n, 1}
`)

// hincr: KEYS[1]; ARGV[1] field, ARGV[2] delta, ARGV[3] ttl in ms. Expiry as in incr.
var hincr = redis.NewScript(`
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return n
`)

// rateLimit is internal/gcra's Decide on the server: KEYS[1] holds the TAT in microseconds of the
// server's clock (TIME), ARGV[1] is the emission interval T and ARGV[2] the tolerance τ, both in
// microseconds. Returns {admitted, delay}; gcra.Limit.Result turns them into the decision. A
// refusal writes nothing; an admission stores the new TAT until the clock reaches it.
var rateLimit = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local delay = 0
local tat = redis.call('GET', KEYS[1])
if tat then
  if not string.find(tat, '^%-?%d+$') then
    return redis.error_reply('ERR value is not an integer or out of range')
  end
  tat = tonumber(tat)
  if tat > now then delay = tat - now end
end
if delay > tonumber(ARGV[2]) then
  return {0, delay}
end
local ahead = delay + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', now + ahead), 'PX', math.ceil(ahead / 1000))
return {1, delay}
`)

// logAppend: KEYS[1] a stream; ARGV[1] atLeast, ARGV[2] value. The entry gets the stream id
// "<seq>-0" with seq = max(atLeast, last + 1), last being the newest entry's seq (0 for a new
// stream), and the value in field "v". Returns seq. XREVRANGE on a key of another type raises
// WRONGTYPE, so nothing is written over a value, counter or hash.
var logAppend = redis.NewScript(`
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then
  last = tonumber(string.match(top[1][1], '^(%d+)'))
end
local seq = tonumber(ARGV[1])
if seq <= last then seq = last + 1 end
redis.call('XADD', KEYS[1], string.format('%.0f', seq) .. '-0', 'v', ARGV[2])
return seq
`)

// scripts lists every script, for loading them at start.
var scripts = []*redis.Script{compareAndDelete, compareAndExpire, incr, incrUpTo, hincr, rateLimit, logAppend}
