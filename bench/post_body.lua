-- wrk script: POST the bytes of $BODY_FILE with Content-Type $CONTENT_TYPE to $REQUEST_PATH,
-- and print one JSON line of results that bench/throughput.py reads.
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("REQUEST_PATH") or "/predict"
wrk.body = file:read("*all")
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE")
file:close()

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
