-- Multitrack for REAPER: the shared library of the two actions.
--
-- REAPER's Lua has no sockets, so the actions run the command-line client
-- `multitrack send ... --wait --notes` through reaper.ExecProcess and read the one line of
-- JSON it prints. Everything here talks to REAPER only through the `reaper` table.
--
-- Settings (Extensions > ReaScript > run once, or the README's snippet):
--   reaper.SetExtState("Multitrack", "command", "/path/to/.venv/bin/multitrack", true)
--   reaper.SetExtState("Multitrack", "port", "9000", true)

local M = {}

M.SECTION = "Multitrack"
M.STEMS = { "melody", "chords", "bass", "drums" }
M.TIMEOUT_MS = 180000 -- ExecProcess wait; the client's own --timeout is a little shorter
M.TRACK_TAG = "P_EXT:multitrack"
M.IMPLODE_TAKES = 40543 -- "Take: Implode items on same track into takes"

-- JSON ------------------------------------------------------------------------------------

local function decode_error(text, pos, what)
  error(string.format("bad JSON at byte %d: %s", pos, what), 0)
end

local function skip(text, pos)
  local _, stop = text:find("^[ \t\r\n]*", pos)
  return stop + 1
end

local function utf8_char(code)
  return utf8.char(code)
end

local decode_value

local function decode_string(text, pos)
  local parts, i = {}, pos + 1
  while true do
    local c = text:sub(i, i)
    if c == "" then decode_error(text, i, "unterminated string") end
    if c == '"' then return table.concat(parts), i + 1 end
    if c == "\\" then
      local e = text:sub(i + 1, i + 1)
      local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
      if simple[e] then
        parts[#parts + 1] = simple[e]
        i = i + 2
      elseif e == "u" then
        local hex = text:sub(i + 2, i + 5)
        if not hex:match("^%x%x%x%x$") then decode_error(text, i, "bad \\u escape") end
        local code = tonumber(hex, 16)
        i = i + 6
        if code >= 0xD800 and code <= 0xDBFF and text:sub(i, i + 1) == "\\u" then
          local low = tonumber(text:sub(i + 2, i + 5), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
            i = i + 6
          end
        end
        parts[#parts + 1] = utf8_char(code)
      else
        decode_error(text, i, "bad escape")
      end
    else
      local stop = text:find('["\\]', i)
      if not stop then decode_error(text, i, "unterminated string") end
      parts[#parts + 1] = text:sub(i, stop - 1)
      i = stop
    end
  end
end

decode_value = function(text, pos)
  pos = skip(text, pos)
  local c = text:sub(pos, pos)
  if c == "{" then
    local object = {}
    pos = skip(text, pos + 1)
    if text:sub(pos, pos) == "}" then return object, pos + 1 end
    while true do
      pos = skip(text, pos)
      if text:sub(pos, pos) ~= '"' then decode_error(text, pos, "expected a key") end
      local key
      key, pos = decode_string(text, pos)
      pos = skip(text, pos)
      if text:sub(pos, pos) ~= ":" then decode_error(text, pos, "expected ':'") end
      object[key], pos = decode_value(text, pos + 1)
      pos = skip(text, pos)
      local sep = text:sub(pos, pos)
      if sep == "}" then return object, pos + 1 end
      if sep ~= "," then decode_error(text, pos, "expected ',' or '}'") end
      pos = pos + 1
    end
  elseif c == "[" then
    local array = {}
    pos = skip(text, pos + 1)
    if text:sub(pos, pos) == "]" then return array, pos + 1 end
    while true do
      array[#array + 1], pos = decode_value(text, pos)
      pos = skip(text, pos)
      local sep = text:sub(pos, pos)
      if sep == "]" then return array, pos + 1 end
      if sep ~= "," then decode_error(text, pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(text, pos)
  elseif text:sub(pos, pos + 3) == "true" then
    return true, pos + 4
  elseif text:sub(pos, pos + 4) == "false" then
    return false, pos + 5
  elseif text:sub(pos, pos + 3) == "null" then
    return M.null, pos + 4
  end
  local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if not number or number == "" or number == "-" then decode_error(text, pos, "unexpected character") end
  return tonumber(number), pos + #number
end

M.null = setmetatable({}, { __tostring = function() return "null" end })

--- Decode a JSON text into Lua values (objects and arrays as tables, null as M.null).
function M.json_decode(text)
  local value, pos = decode_value(text, 1)
  pos = skip(text, pos)
  if pos <= #text then decode_error(text, pos, "trailing characters") end
  return value
end

-- Running the client ------------------------------------------------------------------------

local function is_windows()
  return reaper.GetOS():match("^Win") ~= nil
end

--- Quote one argument for the platform's command line.
function M.quote(arg)
  arg = tostring(arg)
  if is_windows() then
    return '"' .. arg:gsub('(\\*)"', '%1%1\\"'):gsub('(\\+)$', '%1%1') .. '"'
  end
  return "'" .. arg:gsub("'", "'\\''") .. "'"
end

function M.setting(key, default)
  local value = reaper.GetExtState(M.SECTION, key)
  if value == nil or value == "" then return default end
  return value
end

--- Run `multitrack send <args…>` and return the decoded JSON record (always a table with
--- `ok`; on failure `code` and `message`).
function M.send(args)
  local parts = { M.quote(M.setting("command", "multitrack")), "send" }
  for _, a in ipairs(args) do parts[#parts + 1] = M.quote(a) end
  local port = M.setting("port", nil)
  if port then
    parts[#parts + 1] = "--port"
    parts[#parts + 1] = M.quote(port)
  end
  local timeout_s = math.floor(M.TIMEOUT_MS / 1000) - 5
  parts[#parts + 1] = "--timeout"
  parts[#parts + 1] = tostring(timeout_s)
  local command = table.concat(parts, " ")
  local output = reaper.ExecProcess(command, M.TIMEOUT_MS)
  if not output then
    return { ok = false, code = "no_client", message = "could not run: " .. command }
  end
  local last
  for line in output:gmatch("[^\r\n]+") do
    if line:match("^%s*{") then last = line end
  end
  if not last then
    local exit_code = output:match("^(%-?%d+)") or "?"
    return { ok = false, code = "no_reply",
             message = "multitrack send exited " .. exit_code .. ": " .. output:sub(1, 400) }
  end
  local ok, record = pcall(M.json_decode, last)
  if not ok or type(record) ~= "table" then
    return { ok = false, code = "bad_reply", message = tostring(record) }
  end
  return record
end

function M.fail(record)
  reaper.ShowMessageBox(string.format("%s\n\n(%s)", tostring(record.message), tostring(record.code)),
    "Multitrack", 0)
end

-- Time ----------------------------------------------------------------------------------------

--- Numerator and denominator of a "6/8" meter string.
function M.meter(text)
  local num, den = tostring(text or "4/4"):match("^(%d+)/(%d+)$")
  return tonumber(num) or 4, tonumber(den) or 4
end

--- Quarter notes in one counted beat and in one bar.
function M.beat_and_bar_qn(num, den)
  local bar = num * 4 / den
  local counted = (num == 6 and den == 8) and 2 or num
  return bar / counted, bar
end

--- The project time (seconds) of the start of the bar the edit cursor is in.
function M.cursor_bar_start()
  local cursor = reaper.GetCursorPosition()
  local _, measures = reaper.TimeMap2_timeToBeats(0, cursor)
  return reaper.TimeMap2_beatsToTime(0, 0, measures)
end

--- Project time of `qn` quarter notes after time `start`.
function M.time_after(start, qn)
  return reaper.TimeMap2_QNToTime(0, reaper.TimeMap2_timeToQN(0, start) + qn)
end

--- Tempo and time signature from the take, at the bar where the take goes.
function M.set_tempo(start, song)
  local num, den = M.meter(song.meter)
  if start <= 0 and reaper.CountTempoTimeSigMarkers(0) == 0 then
    reaper.SetCurrentBPM(0, song.tempo, true)
  end
  reaper.SetTempoTimeSigMarker(0, -1, start, -1, -1, song.tempo, num, den, false)
  reaper.UpdateTimeline()
end

-- Tracks, items, takes ----------------------------------------------------------------------

--- A new track at the end of the project, named and tagged "<kind>:<stem>".
function M.new_track(name, tag)
  local index = reaper.CountTracks(0)
  reaper.InsertTrackAtIndex(index, true)
  local track = reaper.GetTrack(0, index)
  reaper.GetSetMediaTrackInfo_String(track, "P_NAME", name, true)
  reaper.GetSetMediaTrackInfo_String(track, M.TRACK_TAG, tag, true)
  return track
end

--- The first track tagged `tag` ("audio:bass", "midi:chords"), or nil.
function M.find_track(tag)
  for i = 0, reaper.CountTracks(0) - 1 do
    local track = reaper.GetTrack(0, i)
    local _, value = reaper.GetSetMediaTrackInfo_String(track, M.TRACK_TAG, "", false)
    if value == tag then return track end
  end
  return nil
end

local function tag_take(take, job, take_dir)
  reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", job, true)
  reaper.GetSetMediaItemTakeInfo_String(take, "P_EXT:multitrack_job", job, true)
  reaper.GetSetMediaItemTakeInfo_String(take, "P_EXT:multitrack_dir", take_dir, true)
end

--- Put a WAV into `item` as a new active take (an empty item gets its first take).
function M.add_audio_take(item, path, job, take_dir)
  local take = reaper.AddTakeToMediaItem(item)
  local source = reaper.PCM_Source_CreateFromFile(path)
  reaper.SetMediaItemTake_Source(take, source)
  tag_take(take, job, take_dir)
  reaper.SetActiveTake(take)
  return take, source
end

--- A new audio item at `start` on `track` playing the WAV at `path`.
function M.insert_audio(track, path, start, job, take_dir)
  local item = reaper.AddMediaItemToTrack(track)
  local _, source = M.add_audio_take(item, path, job, take_dir)
  local length = reaper.GetMediaSourceLength(source)
  reaper.SetMediaItemInfo_Value(item, "D_POSITION", start)
  reaper.SetMediaItemInfo_Value(item, "D_LENGTH", length)
  return item
end

--- A new MIDI item from `start` for `length_qn` quarter notes holding `notes`
--- ({pitch, start_beat, length_beat, velocity} in quarter notes); drums on channel 10.
function M.insert_midi(track, notes, start, length_qn, drums, job, take_dir)
  local finish = M.time_after(start, length_qn)
  local item = reaper.CreateNewMIDIItemInProj(track, start, finish, false)
  local take = reaper.GetActiveTake(item)
  local start_qn = reaper.TimeMap2_timeToQN(0, start)
  local channel = drums and 9 or 0
  for _, n in ipairs(notes or {}) do
    local on = reaper.MIDI_GetPPQPosFromProjQN(take, start_qn + n[2])
    local off = reaper.MIDI_GetPPQPosFromProjQN(take, start_qn + n[2] + n[3])
    reaper.MIDI_InsertNote(take, false, false, on, off, channel, n[1], n[4], true)
  end
  reaper.MIDI_Sort(take)
  tag_take(take, job, take_dir)
  return item
end

--- Quarter-note offset of a chord row {bar, beat} counted from 1.
function M.row_qn(row, num, den)
  local beat_qn, bar_qn = M.beat_and_bar_qn(num, den)
  return (row.bar - 1) * bar_qn + (row.beat - 1) * beat_qn
end

--- One project marker per chord symbol, at its bar and beat after `start`.
function M.add_chord_markers(start, song)
  local num, den = M.meter(song.meter)
  for _, row in ipairs(song.chords or {}) do
    reaper.AddProjectMarker2(0, false, M.time_after(start, M.row_qn(row, num, den)), 0, row.symbol, -1, 0)
  end
end

--- Remove plain markers named like chord symbols between `from` and `to` (seconds).
function M.remove_chord_markers(from, to)
  local found = {}
  local i = 0
  while true do
    local retval, isrgn, pos, _, name, index = reaper.EnumProjectMarkers3(0, i)
    if retval == 0 then break end
    if not isrgn and pos >= from - 1e-9 and pos < to and (name == "N.C." or name:match("^[A-G][#b]?[%w/#b]*$")) then
      found[#found + 1] = index
    end
    i = i + 1
  end
  for j = #found, 1, -1 do reaper.DeleteProjectMarker(0, found[j], false) end
end

--- The job id of the active take of `item`, or nil.
function M.item_job(item)
  local take = reaper.GetActiveTake(item)
  if not take then return nil end
  local _, job = reaper.GetSetMediaItemTakeInfo_String(take, "P_EXT:multitrack_job", "", false)
  if job == "" then return nil end
  return job
end

return M
