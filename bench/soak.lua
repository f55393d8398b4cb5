-- wrk script for `make soak`: alternate an exception and a pass-through
-- request, and count every answer that is not exactly what it must be.
local paths = { "/raise", "/static.json" }
local n = 0
local unexpected = 0
local counts = {}

request = function()
    n = n + 1
    return wrk.format("GET", paths[(n % 2) + 1], { ["Connection"] = "close" })
end

response = function(status, headers, body)
    local ok = (status == 404 and body == '{"detail":"Not Found"}')
            or (status == 200 and body == '{"detail":"Not Found"}')
    if not ok then
        unexpected = unexpected + 1
    end
end

done = function(summary, latency, requests)
    -- threads keep their own counters; wrk -t1 keeps them in one
    io.write(string.format("soak-http: unexpected=%d\n", unexpected))
end
