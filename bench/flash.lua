-- wrk script for bench/flash-sale.sh: each request is a different customer
-- (threads interleave through bench/out/flash/customers.txt); a thread stops
-- when its customers are used up. Counts answers by status.
dofile("bench/statuses.lua")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  deal = args[1]
  step = tonumber(args[3])
  customers = {}
  for line in io.lines(args[2]) do
    local token, address = line:match("(%S+) (%S+)")
    customers[#customers + 1] = { token, address }
  end
  idx = id + 1
end

function request()
  local c = customers[math.min(idx, #customers)]
  idx = idx + step
  return wrk.format("POST", "/api/v1/live/deals/" .. deal .. "/orders",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. c[1] },
    '{"address_id": ' .. c[2] .. '}')
end

function response(status, headers, body)
  count_status(status)
  if idx > #customers + step then wrk.thread:stop() end
end

function done(summary, latency, requests)
  status_totals(threads)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  requests/s %.0f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
