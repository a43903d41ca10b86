-- wrk script shared by every workload of scripts/bench-vs-nginx, for nginx and Stowage alike.
--
--   wrk -t T -c C -d D -s wrk.lua URL -- MODE METHOD LISTFILE BODY_BYTES THREADS
--
-- MODE    random  each request picks a random line of LISTFILE                 (small GET)
--         cycle   each thread walks its own stride of LISTFILE, wrapping        (small PUT to distinct keys)
--         static  one fixed request per thread: line (thread id mod #lines)     (large GET / PUT)
-- METHOD  GET or PUT; PUT bodies are BODY_BYTES bytes, built once per thread
-- LISTFILE request targets, one per line: "/bucket/key" for nginx, "/bucket/key?X-Amz-…" presigned for Stowage
--
-- done() prints one machine-readable line: BENCH_RESULT {json}. Latencies are in microseconds.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local targets = {}
local position = 0
local body = nil

local function body_of(size)
   if size <= 0 then return nil end
   local unit = "stowage-bench-0123456789abcdef"
   return string.rep(unit, math.floor(size / #unit) + 1):sub(1, size)
end

function init(args)
   local mode, method, listfile = args[1], args[2], args[3]
   local body_bytes, thread_count = tonumber(args[4]), tonumber(args[5])
   local index = 0
   for line in io.lines(listfile) do
      if line ~= "" then
         -- "cycle" keeps only this thread's stride so that threads never send the same key.
         if mode ~= "cycle" or index % thread_count == id then
            targets[#targets + 1] = line
         end
         index = index + 1
      end
   end
   assert(#targets > 0, "no request targets for thread " .. id .. " in " .. listfile)
   body = body_of(body_bytes)
   wrapped = false
   math.randomseed(os.time() + 7919 * id)

   if mode == "random" then
      request = function()
         return wrk.format(method, targets[math.random(#targets)], nil, body)
      end
   elseif mode == "cycle" then
      request = function()
         position = position + 1
         if position > #targets then
            position = 1
            wrapped = true
         end
         return wrk.format(method, targets[position], nil, body)
      end
   elseif mode == "static" then
      -- No request() function: wrk builds this request once per thread and resends the same bytes.
      wrk.method = method
      wrk.path = targets[(id % #targets) + 1]
      wrk.body = body
   else
      error("unknown mode " .. tostring(mode))
   end
end

function done(summary, latency, requests)
   local any_wrapped = false
   for _, thread in ipairs(threads) do
      if thread:get("wrapped") then any_wrapped = true end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_timeout": %d, "errors_status": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "wrapped": %s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      tostring(any_wrapped)))
end
