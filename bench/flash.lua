-- wrk script for bench/flash-sale.sh: each request is a different customer
-- (threads interleave through bench/out/flash/customers.txt); a thread stops
-- when its customers are used up. Counts answers by status.
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
  statuses = {}
end

function request()
  local c = customers[math.min(idx, #customers)]
  idx = idx + step
  return wrk.format("POST", "/api/v1/live/deals/" .. deal .. "/orders",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. c[1] },
    '{"address_id": ' .. c[2] .. '}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if idx > #customers + step then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d: %d\n", code, n)) end
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  requests/s %.0f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
