-- POST one JSON body per line of $BODIES to $TARGET_PATH, cycling, with $API_KEY.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local path, key = os.getenv("TARGET_PATH"), os.getenv("API_KEY")
local headers = {["Content-Type"] = "application/json", ["X-API-Key"] = key}
local n = math.random(#bodies)

request = function()
  n = n % #bodies + 1
  return wrk.format("POST", path, headers, bodies[n])
end
