--[[
acquire.lua: take up to N call permits for one model, shared by every worker.

Two limits, each optional, checked together so that a grant satisfies both:
  * concurrency: at most maxInFlight permits alive at once. A permit is a member of a
    sorted set scored by its expiry, so the permits of a worker that died expire by
    themselves; a finished call removes its permit (ZREM).
  * rate: call starts spaced intervalMs apart (60000 / requests_per_minute), by GCRA
    (generic cell rate algorithm): the key holds the theoretical arrival time (TAT) of
    the next start; a start is allowed when TAT - now <= burstMs.
A model paused after a 429 (the pause key exists) grants nothing until it expires.

KEYS[1]  <prefix>:limits:model:<id>:inflight  ZSET permit id -> expiry (ms since epoch)
KEYS[2]  <prefix>:limits:model:<id>:rate      STRING  TAT in ms since epoch
KEYS[3]  <prefix>:limits:model:<id>:pause     STRING  present while the model is paused
KEYS[4]  <prefix>:limits:model:<id>:seq       STRING  permit id counter

ARGV[1]  wanted       permits wanted, >= 1
ARGV[2]  maxInFlight  concurrency limit, 0 = none
ARGV[3]  intervalMs   ms between call starts, 0 = no rate limit
ARGV[4]  burstMs      how far ahead of schedule starts may run
ARGV[5]  permitTtlMs  lifetime of a permit that is never released

Returns
  { granted, rateMark, permitId... }
                               granted > 0 calls may start now; one permit id each when
                               maxInFlight > 0, to be removed (ZREM) when the call ends;
                               rateMark: the TAT as this grant left it ('' without a rate
                               limit), for giving unused starts back (refund.lua)
  { 0, waitMs, reason }        nothing was taken; reason is 'paused' or 'rate' (waitMs is
                               when asking again can succeed) or 'concurrency' (waitMs = -1:
                               wait for a permit to be released)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wanted = tonumber(ARGV[1])
local maxInFlight = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])

local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then
  return { 0, paused, 'paused' }
end

local granted = wanted
local rateMark = ''
if maxInFlight > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  local free = maxInFlight - redis.call('ZCARD', KEYS[1])
  if free <= 0 then
    return { 0, -1, 'concurrency' }
  end
  if free < granted then
    granted = free
  end
end

if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[2]) or now)
  if tat < now then
    tat = now
  end
  local allowed = math.floor((now + burst - tat) / interval) + 1
  if allowed <= 0 then
    return { 0, tat - burst - now, 'rate' }
  end
  if allowed < granted then
    granted = allowed
  end
  local nextTat = tat + granted * interval
  -- Stored and returned as the same text, which a refund compares (refund.lua).
  rateMark = string.format('%.17g', nextTat)
  redis.call('SET', KEYS[2], rateMark, 'PX', math.ceil(nextTat - now + 60000))
end

local result = { granted, rateMark }
if maxInFlight > 0 then
  local last = redis.call('INCRBY', KEYS[4], granted)
  redis.call('PEXPIRE', KEYS[4], 86400000)
  for i = granted - 1, 0, -1 do
    redis.call('ZADD', KEYS[1], now + ttl, last - i)
    result[#result + 1] = last - i
  end
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
end
return result
