--[[
pause.lua: pause a model for every worker after its provider answered 429. The pause
only ever grows: a shorter Retry-After never cuts a longer pause short.

KEYS[1]  <prefix>:limits:model:<id>:pause  STRING  present while the model is paused

ARGV[1]  pauseMs  how long, >= 1

Returns 1 when the pause was set or extended, 0 when a longer one was already running.
]]
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) >= ms then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', ms)
return 1
