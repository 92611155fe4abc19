-- The waiting room's one decision, taken atomically in Redis (teeka/waiting_room.py).
--
-- KEYS[1] the last ticket given (a string of digits)
-- KEYS[2] the line: waiting tickets, each scored by itself (so in arrival order)
-- KEYS[3] the first visits not in line yet, scored by ticket (counted, never called)
-- KEYS[4] every waiting ticket, scored by when its page should have asked again
-- KEYS[5] the people let in, scored by when they last asked
-- KEYS[6] admissions of the last minute, scored by when
-- KEYS[7] tickets that left the line unserved in the last minute, scored by when
-- ARGV: ticket ("" on a first visit), now (s), how many may be in at once,
--       idle s (a person let in and not seen this long stops counting),
--       admissions a second at most, the page's shortest and longest refresh (s)
-- Returns {ticket, place in line (0: let in), how many the line moves by a
--          minute (as it did in the last minute), the page's refresh (s)}.

local now = tonumber(ARGV[2])
local limit, idle, per_second = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local low, high = tonumber(ARGV[6]), tonumber(ARGV[7])
-- A called ticket's place is held this long for its page to refresh (near
-- the front it refreshes every `low` s).
local grace = low + 2

redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - idle)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 60)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - 60)
-- A page that did not ask again when it should have (closed) loses its turn:
-- a bounded amount of work a call.
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 200)
if #gone > 0 then
  redis.call('ZREM', KEYS[4], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
  redis.call('ZREM', KEYS[3], unpack(gone))
  for _, t in ipairs(gone) do
    redis.call('ZADD', KEYS[7], now, t)
  end
end

local function let_in(ticket, seen)
  redis.call('ZADD', KEYS[5], seen, ticket)
  redis.call('ZADD', KEYS[6], now, ticket)
end

-- Where a ticket stands, and when its page should ask again: a third of the
-- expected wait at the pace the line moved in the last minute (people let
-- in, and people who left: on launch day many do), or at the pace of
-- everyone staying their idle time; often near the front, rarely far back. A page
-- that has not asked again a little after that has left (closed, or its
-- person gave up): it is skipped, not called to a place it would leave
-- empty. Coming back, it takes its place by its ticket again.
local function waiting(ticket)
  local place = redis.call('ZCOUNT', KEYS[2], '-inf', ticket)
              + redis.call('ZCOUNT', KEYS[3], '-inf', ticket)
  local moved = redis.call('ZCARD', KEYS[6]) + redis.call('ZCARD', KEYS[7])
  local pace = math.max(limit * 60 / idle, 1)
  if moved > 0 then
    -- A minute's pace from what the line moved by since the earliest move
    -- remembered: right after the doors open that is less than a minute.
    local first = now
    for _, key in ipairs({KEYS[6], KEYS[7]}) do
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      if oldest[2] then first = math.min(first, tonumber(oldest[2])) end
    end
    pace = math.ceil(moved * 60 / math.min(math.max(now - first, 10), 60))
  end
  -- The refresh errs on the early side: at the fastest the line may move
  -- (admissions a second at most), if faster than it did. A page asking
  -- late leaves its place called and empty (the room idle while people
  -- wait); one asking early costs one more light page.
  local fastest = math.max(pace, per_second * 60)
  local refresh = math.floor(math.min(math.max(place * 60 / fastest / 3, low), high))
  redis.call('ZADD', KEYS[4], now + refresh * 1.25 + 2, ticket)
  return {ticket, place, pace, refresh}
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
elseif redis.call('ZSCORE', KEYS[5], ticket) or redis.call('ZSCORE', KEYS[6], ticket) then
  -- Called while the page was waiting to refresh: in now, even if it came
  -- after its held place was given up (a slow phone, a busy server), so
  -- that nobody called is called again and again (one over, for a moment).
  redis.call('ZADD', KEYS[5], now, ticket)
  return {ticket, 0, 0, 0}
else
  -- Waiting, or back after a while: in line by the ticket's own number, so
  -- reloading, or coming back, keeps one's place.
  redis.call('ZREM', KEYS[3], ticket)
  redis.call('ZADD', KEYS[2], ticket, ticket)
  if tonumber(ticket) > tonumber(redis.call('GET', KEYS[1]) or '0') then
    redis.call('SET', KEYS[1], ticket)
  end
end

local room = math.min(limit - redis.call('ZCARD', KEYS[5]),
                      per_second - redis.call('ZCOUNT', KEYS[6], now - 1, '+inf'))
if first and room > 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  let_in(ticket, now)
  return {ticket, 0, 0, 0}
end
-- Every request that reaches the room, a first visit too, calls the first
-- tickets of the line for the free places: the room never stands empty
-- while pages of the line are asking.
if room > 0 and redis.call('ZCARD', KEYS[2]) > 0 then
  local called = redis.call('ZRANGE', KEYS[2], 0, room - 1)
  for _, t in ipairs(called) do
    -- Held for `grace` s until its holder's page refreshes, then counted
    -- from each request.
    let_in(t, t == ticket and now or now - idle + grace)
  end
  redis.call('ZREM', KEYS[2], unpack(called))
  redis.call('ZREM', KEYS[4], unpack(called))
end
if first then
  -- A first visit joins the line when its page asks again with the ticket
  -- (its cookie), by the ticket's number: a client that keeps no cookie
  -- takes no place that could be called and left empty.
  redis.call('ZADD', KEYS[3], ticket, ticket)
  return waiting(ticket)
end
if not redis.call('ZSCORE', KEYS[2], ticket) then
  return {ticket, 0, 0, 0}
end
return waiting(ticket)
