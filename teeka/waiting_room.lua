-- The waiting room's one decision, taken atomically in Redis (teeka/waiting_room.py).
--
-- KEYS[1] the last ticket given (a string of digits)
-- KEYS[2] the line: waiting tickets, each scored by itself (so in arrival order)
-- KEYS[3] the first visits not in line yet, scored by ticket (counted, never let in
--         ahead of the line)
-- KEYS[4] every waiting ticket, scored by when its page should ask again
-- KEYS[5] the people let in, scored by when they last asked
-- KEYS[6] admissions of the last minute, scored by when
-- KEYS[7] tickets that left the line unserved in the last minute, scored by when
-- KEYS[8] tickets near the front of the line whose pages asked lately (and
--         ask again within `grace` s), scored by ticket
-- KEYS[9] the same tickets, scored by when they asked
-- KEYS[10] since when free places have been held for pages near the front
-- ARGV: ticket ("" on a first visit), now (s), how many may be in at once,
--       idle s (a person let in and not seen this long stops counting),
--       admissions a second at most, the page's shortest and longest refresh (s)
-- Returns {ticket, place in line (0: let in), how many the line moves by a
--          minute (as it did in the last minute), the page's refresh (s)}.
--
-- Who is let in: a free place goes to the page that asks for it, if fewer
-- pages near the front (asking again every few seconds, and heard from
-- within `grace` s) hold an earlier ticket than there are free places. So
-- the line is served in arrival order; no place is held for a page that is
-- not asking (one that will not ask for a while keeps its place and is let
-- in when it asks, one whose person left without a word (on launch day
-- most do) is never waited for), and the room never stands empty while
-- pages ask. Holding called places for absent pages, the room stood empty for a
-- minute in the overload benchmark behind thousands who had left.
--
-- A place is held for the front for `grace` s at most, then goes to a page
-- in line that asks (the earliest of those asking, as the front asks most
-- often): when people give up as fast as they come, every page near the
-- front has earlier tickets that asked a moment ago and left since, and the
-- room stood empty for 20 s while a thousand pages asked (docs/performance.md).
-- The hold starts anew only when the front takes a place: started anew each
-- time the room filled, it emptied the room for its seconds again and again.

local now = tonumber(ARGV[2])
local limit, idle, per_second = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local low, high = tonumber(ARGV[6]), tonumber(ARGV[7])
-- A page near the front asks every `low` s: one not heard from for `grace`
-- s no longer counts as asking; one this late after it was due has left.
local grace = low + 2

local function forget(tickets)
  if #tickets > 0 then
    for _, key in ipairs({KEYS[2], KEYS[3], KEYS[4], KEYS[8], KEYS[9]}) do
      redis.call('ZREM', key, unpack(tickets))
    end
  end
end

redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - idle)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 60)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - 60)
-- A page that did not ask again when it should have (closed, or its person
-- gave up) leaves the line: a bounded amount of work a call. Coming back
-- later, it takes its place by its ticket again.
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - grace, 'LIMIT', 0, 200)
forget(gone)
for _, t in ipairs(gone) do
  redis.call('ZADD', KEYS[7], now, t)
end
local quiet = redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now - grace, 'LIMIT', 0, 500)
if #quiet > 0 then
  redis.call('ZREM', KEYS[8], unpack(quiet))
  redis.call('ZREM', KEYS[9], unpack(quiet))
end

local function let_in(ticket)
  forget({ticket})
  redis.call('ZADD', KEYS[5], now, ticket)
  redis.call('ZADD', KEYS[6], now, ticket)
  return {ticket, 0, 0, 0}
end

-- Where a ticket stands, and when its page should ask again: after half the
-- expected wait (often near the front, rarely far back), at the pace the
-- line moved in the last minute (people let in, and people who left: on
-- launch day many do) or, if faster, at the most admissions a second: a
-- page asking late lets those behind it go first, one asking early costs
-- one more light page.
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
  local fastest = math.max(pace, per_second * 60)
  local refresh = math.floor(math.min(math.max(place * 60 / fastest / 2, low), high))
  if redis.call('ZSCORE', KEYS[3], ticket) then
    -- A first visit's page asks again soon: whoever closed it at once is
    -- found gone within seconds, instead of counting in everyone's place
    -- (and so in their refresh) for a minute.
    refresh = low
  elseif refresh <= grace then
    -- Near the front: a page asking again within `grace` s.
    redis.call('ZADD', KEYS[8], ticket, ticket)
    redis.call('ZADD', KEYS[9], now, ticket)
  else
    redis.call('ZREM', KEYS[8], ticket)
    redis.call('ZREM', KEYS[9], ticket)
  end
  redis.call('ZADD', KEYS[4], now + refresh, ticket)
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
  -- Let in already, and asking with the waiting pass again (the answer that
  -- let it in was lost on the way): in again, so that nobody let in is sent
  -- back to wait (one over, for a moment).
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

local free = limit - redis.call('ZCARD', KEYS[5])
local room = math.min(free, per_second - redis.call('ZCOUNT', KEYS[6], now - 1, '+inf'))
if room > 0 then
  -- Pages near the front with an earlier ticket (a first visit's is the latest).
  local ahead = first and redis.call('ZCARD', KEYS[8])
                      or redis.call('ZCOUNT', KEYS[8], '-inf', '(' .. ticket)
  if ahead < room then
    redis.call('DEL', KEYS[10])
    return let_in(ticket)
  end
  local since = tonumber(redis.call('GET', KEYS[10]))
  if not since then
    redis.call('SET', KEYS[10], ARGV[2], 'EX', 60)
  elseif not first and now - since >= grace then
    return let_in(ticket)
  end
end
if first then
  -- A first visit joins the line when its page asks again with the ticket
  -- (its cookie), by the ticket's number: a client that keeps no cookie
  -- takes no place in line.
  redis.call('ZADD', KEYS[3], ticket, ticket)
end
return waiting(ticket)
