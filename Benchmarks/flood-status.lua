-- wrk script for Benchmarks/flood.sh: counts responses by status and prints them
-- (per thread, then summed) as "status <code> <count>" lines after the run.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    counts = {}
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        local c = thread:get("counts")
        for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
    end
    for status, n in pairs(total) do
        io.write(string.format("status %d %d\n", status, n))
    end
end
