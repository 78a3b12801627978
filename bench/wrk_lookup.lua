-- wrk script of bench/serve_bench.sh and bench/exchange_serve_bench.sh: GET /m/raw_lookup for
-- the PDQ hashes of the file $CG_QUERIES (one hex a line, in turn) with the API key $CG_TOKEN.
-- Prints "RESULT requests/s p50_ms p99_ms requests errors seconds".
local queries = {}
for line in io.lines(os.getenv("CG_QUERIES")) do queries[#queries + 1] = line end
local token = os.getenv("CG_TOKEN")
local i = 0
request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/m/raw_lookup?signal_type=pdq&signal=" .. queries[i], {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %.3f\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
