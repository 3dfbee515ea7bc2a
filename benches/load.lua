-- wrk script of benches/load.sh: every request carries one caller's session cookie, the
-- callers taken in turn, so that the load is spread over several sessions as it is in a
-- morning of calls. The callers' cookies and an open assignment of each are in the file
-- named by the first argument (one line each: COOKIE ASSIGNMENT_ID).
--
--   wrk -s benches/load.lua URL -- CALLERS_FILE MODE PATH [POST_PERCENT] [RUN]
--
-- MODE: `get` (GET PATH), `post` (POST /api/calls: a callback tomorrow, a fresh
-- Idempotency-Key each time), `mix` (GET PATH, or POST_PERCENT % of the time a POST).
-- At the end one line: RESULT requests req/s p50_ms p99_ms non_2xx_3xx socket_errors.

local callers = {}
local mode, path, post_percent, run
local counter = 0
local next_id = 1
local callback_at

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
end

local function read_callers(file)
    local list = {}
    for line in io.lines(file) do
        local cookie, assignment = line:match("^(%S+)%s+(%S+)")
        if cookie then
            list[#list + 1] = { cookie = cookie, assignment = assignment }
        end
    end
    return list
end

function init(args)
    callers = read_callers(args[1])
    mode = args[2] or "get"
    path = args[3] or "/health"
    post_percent = tonumber(args[4] or "20")
    run = args[5] or tostring(os.time())
    math.randomseed(os.time() + (id or 0) * 7919)
    callback_at = os.date("!%Y-%m-%dT10:00:00Z", os.time() + 86400)
    -- Each thread starts at its own caller.
    counter = (id or 0) * 3
end

local function post_call(c)
    local body = string.format(
        '{"assignment_id":%s,"outcome":"callback","callback_at":"%s","notes":"load test"}',
        c.assignment, callback_at)
    local headers = {
        ["Cookie"] = "lien_session=" .. c.cookie,
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = string.format("load-%s-%d-%d", run, id or 0, counter),
    }
    return wrk.format("POST", "/api/calls", headers, body)
end

function request()
    counter = counter + 1
    if #callers == 0 then
        return wrk.format("GET", path)
    end
    local c = callers[(counter % #callers) + 1]
    if mode == "post" or (mode == "mix" and math.random(100) <= post_percent) then
        return post_call(c)
    end
    return wrk.format("GET", path, { ["Cookie"] = "lien_session=" .. c.cookie })
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format("RESULT %d %.1f %.2f %.2f %d %d\n",
        summary.requests, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout))
end
