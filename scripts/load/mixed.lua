-- wrk script: requests taken in turn from a tab-separated file, one line per target:
--   TOKEN <tab> PATH                       for GET
--   TOKEN <tab> PATH <tab> BODY <tab> BODY   for PUT (the two bodies alternate, so every
--                                            save changes marks)
-- wrk -s mixed.lua URL -- FILE [PUT]
local lines = {}
local index = 0
local method = "GET"

function init(args)
  method = args[2] or "GET"
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do
      fields[#fields + 1] = field
    end
    lines[#lines + 1] = fields
  end
  -- Threads start at different lines.
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
  index = math.random(#lines)
end

function request()
  index = index % #lines + 1
  local line = lines[index]
  local headers = { ["Authorization"] = "Bearer " .. line[1] }
  if method == "PUT" then
    headers["Content-Type"] = "application/json"
    local body = line[3]
    if math.random(2) == 1 then body = line[4] end
    return wrk.format("PUT", line[2], headers, body)
  end
  return wrk.format("GET", line[2], headers)
end
