-- wrk script for bench/http/run.py: pipelined load, 16 GET /api/sensor requests per write.
-- wrk counts every response, so Requests/sec is per request, not per batch of 16.
-- Usage: wrk -t1 -c50 -d5s --latency -s bench/http/pipeline.lua http://127.0.0.1:PORT/api/sensor
local depth = 16

init = function(args)
   if args[1] then depth = tonumber(args[1]) end
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil)  -- method, path and headers from the command line / URL
   end
   req = table.concat(r)
end

request = function()
   return req
end
