-- Counts responses whose status is not the expected one (expected_status, set by the
-- harness before this file; 200 by default). wrk itself only counts 4xx and 5xx, so a
-- redirect to the login page would otherwise pass for a fast page.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   not_ok = 0
end

function response(status, headers, body)
   if status ~= (expected_status or 200) then
      not_ok = not_ok + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("not_ok")
   end
   io.write(string.format("Unexpected statuses: %d\n", total))
end
