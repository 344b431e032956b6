-- wrk script of `deno task bench`: unique POST bodies.
-- Arguments (after `--`): mode (event | event-new | batch | summary), run prefix, connections,
-- events per batch (batch mode), path, then any number of "Name: value" header lines.
--
-- event: every request is a new attempt. Sessions have 9 attempts (3 sequences x 3 attempts);
-- consecutive requests go to different sessions (one per connection, roughly), so a session's
-- attempts arrive one after another like a game client's, and no attempt is ever sent twice.
-- event-new: every request is the first attempt of a new session (one new session per event).
-- batch: each request holds `size` new attempts, 9 per session.
-- summary: each request is a new engagement session summary of one of 1000 users.
-- heartbeat: each request is a heartbeat of one of 10,000 devices (bench/bodies.ts).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local mode, prefix, conns, size, path
local extra = {}
local n = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  mode = args[1] or "event"
  prefix = (args[2] or "run") .. "t" .. tostring(tid or 0)
  conns = tonumber(args[3] or "10")
  size = tonumber(args[4] or "100")
  path = args[5] or "/events"
  for k = 6, #args do
    local name, value = args[k]:match("^([^:]+):%s*(.*)$")
    if name then extra[name] = value end
  end
end

local REMEDIATION = { "none", "volts", "space" }

local function event(s, i)
  local seq = math.floor(i / 3) + 1
  local a = i % 3 + 1
  local correct = (a == seq) or (a == 3)
  local volts = "null"
  if a > 1 then volts = tostring(a - 1) end
  local t = s % 50000
  return '{"player_id":"p-' .. prefix .. '-' .. s ..
    '","session_id":"s-' .. prefix .. '-' .. s ..
    '","task_version":"earth_v1","sequence_index":' .. seq ..
    ',"sequence_length":' .. (3 + seq) ..
    ',"attempt_index":' .. a ..
    ',"presented":[1,2,3,4],"input":' .. (correct and '[1,2,3,4]' or '[4,3,2,1]') ..
    ',"is_correct":' .. tostring(correct) ..
    ',"duration_ms":5000,"ts_utc":"' ..
    string.format("2025-%02d-%02dT%02d:%02d:%02dZ", t % 12 + 1, t % 28 + 1, t % 24, i * 6, t % 60) ..
    '","remediation_stage":"' .. REMEDIATION[a] .. '","volts_count":' .. volts .. '}'
end

local function headers()
  local h = { ["Content-Type"] = "application/json" }
  for name, value in pairs(extra) do h[name] = value end
  return h
end

function request()
  local body
  if mode == "event" then
    local block = math.floor(n / (9 * conns))
    local s = block * conns + n % conns
    local i = math.floor(n / conns) % 9
    body = event(s, i)
    n = n + 1
  elseif mode == "event-new" then
    body = event(n, 0)
    n = n + 1
  elseif mode == "batch" then
    local parts = {}
    for k = 1, size do
      parts[k] = event(math.floor(n / 9), n % 9)
      n = n + 1
    end
    body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  elseif mode == "heartbeat" then
    local device = n % 10000
    body = '{"device_id":"hb-' .. prefix .. '-' .. device ..
      '","agent_version":"2.4.1","connectivity":"wifi","network":{"interface":"wlan0",' ..
      '"ip":"192.168.1.23","signal_rssi":-60,"latency_ms":' .. (20 + n % 80) ..
      '},"agent_status":"ok","last_session_at":"2025-06-01T10:00:00Z",' ..
      '"timestamp":"2025-06-01T10:05:00Z","boot_time":"2025-06-01T0' .. (device % 10) ..
      ':00:00Z"}'
    n = n + 1
  else
    local day = n % 7
    body = '{"session_id":"es-' .. prefix .. '-' .. n ..
      '","user_external_id":"eu-' .. prefix .. '-' .. (n % 1000) ..
      '","started_at":"2025-06-0' .. (day + 1) .. 'T10:' .. string.format("%02d", n % 60) ..
      ':00Z","duration_seconds":' .. (60 + n % 900) ..
      ',"sentiment_score":0.' .. string.format("%02d", n % 100) .. '}'
    n = n + 1
  end
  return wrk.format("POST", path, headers(), body)
end

function done(summary, latency, requests)
  report(summary, latency)
end
