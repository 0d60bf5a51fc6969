-- wrk script for bench/orders.sh: each request is a random customer buying
-- one unit of a random SKU (customers.txt: "token address_id" per line,
-- skus.txt: one id per line). Counts answers by status.
dofile("bench/statuses.lua")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  customers = {}
  for line in io.lines(args[1] .. "/customers.txt") do
    local token, address = line:match("(%S+) (%S+)")
    customers[#customers + 1] = { token, address }
  end
  skus = {}
  for line in io.lines(args[1] .. "/skus.txt") do
    skus[#skus + 1] = line
  end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

function request()
  local c = customers[math.random(#customers)]
  local sku = skus[math.random(#skus)]
  return wrk.format("POST", "/api/v1/orders",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. c[1] },
    '{"lines": [{"sku_id": ' .. sku .. ', "quantity": 1}], "address_id": ' .. c[2] .. '}')
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  local total = status_totals(threads)
  io.write(string.format("orders/s %.0f  p50 %.2f ms  p99 %.2f ms\n",
    (total[201] or 0) / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
