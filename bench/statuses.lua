-- Shared by the wrk scripts (loaded with dofile from the repository root):
-- each thread counts its answers by status; `status_totals` adds the
-- threads' counts up and prints them.
statuses = {}

function count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function status_totals(threads)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d: %d\n", code, n)) end
  return total
end
