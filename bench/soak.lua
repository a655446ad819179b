-- wrk script of bench/soak.sh: cycles through the paths given after "--",
-- waits DELAY ms (the first argument) before each request so that the load
-- is steady rather than all the machine can give, counts answers by class,
-- and prints one line at the end:
--   soak requests=N ok=N 4xx=N 5xx=N sockerr=N p99_ms=X
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	pause = tonumber(args[1])
	paths = {}
	for i = 2, #args do
		paths[#paths + 1] = args[i]
	end
	n, ok, c4, c5 = 0, 0, 0, 0
end

function request()
	n = n + 1
	return wrk.format("GET", paths[(n % #paths) + 1])
end

function delay()
	return pause
end

function response(status, headers, body)
	if status >= 500 then
		c5 = c5 + 1
	elseif status >= 400 then
		c4 = c4 + 1
	else
		ok = ok + 1
	end
end

function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("ok")
		b = b + t:get("c4")
		c = c + t:get("c5")
	end
	local e = summary.errors
	io.write(string.format("soak requests=%d ok=%d 4xx=%d 5xx=%d sockerr=%d p99_ms=%.1f\n",
		summary.requests, a, b, c, e.connect + e.read + e.write + e.timeout,
		latency:percentile(99) / 1000))
end
