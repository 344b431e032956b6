-- wrk script of `deno task bench`: one GET with fixed headers.
-- Arguments (after `--`): "Name: value" header lines, any number.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

function init(args)
  for _, line in ipairs(args) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

function done(summary, latency, requests)
  report(summary, latency)
end
