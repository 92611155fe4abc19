-- The waiting room's one decision, taken atomically in Redis (teeka/waiting_room.py).
--
-- KEYS[1] the last ticket given (a string of digits)
-- KEYS[2] the line: waiting tickets, each scored by itself (so in arrival order)
-- KEYS[3] the same tickets scored by when their holder last asked
-- KEYS[4] the people let in, scored by when they last asked
-- KEYS[5] admissions of the last minute, scored by when
-- KEYS[6] first visits not yet in line, scored by ticket
-- ARGV: ticket ("" on a first visit), now (s), how many may be in at once,
--       idle s (a person let in and not seen this long stops counting),
--       keep s (a waiting ticket not asked about this long is skipped),
--       admissions a second at most, grace s (a called ticket's place is held
--       this long for its holder to come)
-- Returns {ticket, place in line (0: let in), admissions in the last minute}.

local now = tonumber(ARGV[2])
local limit, idle, keep = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local per_second, grace = tonumber(ARGV[6]), tonumber(ARGV[7])

redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - idle)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 60)
-- People who closed the page lose their turn (a bounded amount of work a call).
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - keep, 'LIMIT', 0, 200)
if #gone > 0 then
  redis.call('ZREM', KEYS[3], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', string.format('%d', (now - keep) * 1000000))

-- Where a ticket stands: the line before it, and the first visits before it
-- that have not joined yet (they will, with their own earlier tickets).
local function place(ticket)
  return redis.call('ZCOUNT', KEYS[2], '-inf', ticket)
       + redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. ticket)
end

local function let_in(ticket, seen)
  redis.call('ZADD', KEYS[4], seen, ticket)
  redis.call('ZADD', KEYS[5], now, ticket)
end

local ticket = ARGV[1]
local first = ticket == ''
if first then
  -- A ticket is the arrival time in microseconds, kept unique and
  -- increasing here: after Redis lost its keys (a restart) new tickets still
  -- come after the ones people hold, and a ticket a web process gave while
  -- Redis was away takes its place by its time.
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  ticket = string.format('%d', math.max(math.floor(now * 1000000), last + 1))
  redis.call('SET', KEYS[1], ticket)
elseif redis.call('ZSCORE', KEYS[4], ticket) then
  -- Called while the page was waiting to refresh: in now.
  redis.call('ZADD', KEYS[4], now, ticket)
  return {ticket, 0, 0}
else
  -- Waiting, or back after a while: in line by the ticket's own number, so
  -- reloading, or coming back, keeps one's place.
  redis.call('ZREM', KEYS[6], ticket)
  redis.call('ZADD', KEYS[2], ticket, ticket)
  redis.call('ZADD', KEYS[3], now, ticket)
  if tonumber(ticket) > tonumber(redis.call('GET', KEYS[1]) or '0') then
    redis.call('SET', KEYS[1], ticket)
  end
end

local room = math.min(limit - redis.call('ZCARD', KEYS[4]),
                      per_second - redis.call('ZCOUNT', KEYS[5], now - 1, '+inf'))
local waiting = redis.call('ZCARD', KEYS[2])
if first then
  if room > 0 and waiting == 0 then
    let_in(ticket, now)
    return {ticket, 0, 0}
  end
  -- A first visit joins the line when its page asks again with the ticket
  -- (its cookie), by the ticket's number: a client that keeps no cookie
  -- takes no place that could be called and left empty.
  redis.call('ZADD', KEYS[6], ticket, ticket)
  return {ticket, place(ticket) + 1, redis.call('ZCARD', KEYS[5])}
end
if room > 0 then
  local called = redis.call('ZRANGE', KEYS[2], 0, room - 1)
  for _, t in ipairs(called) do
    -- Held for `grace` s until its holder's page refreshes, then counted
    -- from each request.
    let_in(t, t == ticket and now or now - idle + grace)
  end
  redis.call('ZREM', KEYS[2], unpack(called))
  redis.call('ZREM', KEYS[3], unpack(called))
end
if not redis.call('ZSCORE', KEYS[2], ticket) then
  return {ticket, 0, 0}
end
return {ticket, place(ticket), redis.call('ZCARD', KEYS[5])}
