--[[
refund.lua: give back rate slots that were granted but not used (a claim found fewer
rows than it had permits for), so the model's start rate is not wasted; only while they
are the latest granted. When another grant came after them, the TAT has moved past the
grant's mark: moving it back would hand that grant's starts out a second time (two
workers starting calls in the same slots), so the slots are lost instead.

KEYS[1]  <prefix>:limits:model:<id>:rate  STRING  TAT in ms since epoch (see acquire.lua)

ARGV[1]  unused      slots to give back, >= 1
ARGV[2]  intervalMs  ms between call starts
ARGV[3]  rateMark    the TAT as the grant left it (acquire.lua's reply)

Returns 1 when the TAT moved back, 0 when there was nothing to give back.
]]
local stored = redis.call('GET', KEYS[1])
if not stored or stored ~= ARGV[3] then
  return 0
end
local tat = tonumber(stored)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local earlier = tat - tonumber(ARGV[1]) * tonumber(ARGV[2])
if earlier < now then
  earlier = now
end
if earlier >= tat then
  return 0
end
redis.call('SET', KEYS[1], string.format('%.17g', earlier), 'PX', math.ceil(earlier - now + 60000))
return 1
