-- wrk script for `make soak`: the paths given after `--` in turn (by
-- default an exception and a pass-through request), a new connection each,
-- and every answer that is not exactly what it must be counted:
-- /raise answers 404, anything else is the static file (200), both with
-- the body {"detail":"Not Found"}.
--
-- Each wrk thread runs its own Lua state and done() runs in yet another:
-- the counters are globals of the threads, collected in done() through
-- setup()'s thread handles (wrk's own pattern).
local threads = {}

setup = function(thread)
    table.insert(threads, thread)
end

local paths = { "/raise", "/static.json" }
local n = 0
local allowed = {}
unexpected = 0
answered = 0

init = function(args)
    if #args > 0 then
        paths = args
    end
    for _, p in ipairs(paths) do
        allowed[p == "/raise" and 404 or 200] = true
    end
end

request = function()
    n = n + 1
    return wrk.format("GET", paths[(n % #paths) + 1], { ["Connection"] = "close" })
end

response = function(status, headers, body)
    if allowed[status] and body == '{"detail":"Not Found"}' then
        answered = answered + 1
    else
        unexpected = unexpected + 1
    end
end

done = function(summary, latency, requests)
    local u, a = 0, 0
    for _, t in ipairs(threads) do
        u = u + t:get("unexpected")
        a = a + t:get("answered")
    end
    io.write(string.format("soak-http: answered=%d unexpected=%d\n", a, u))
end
