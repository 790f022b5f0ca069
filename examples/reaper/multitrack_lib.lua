-- Multitrack for REAPER: the shared library of the two actions.
--
-- REAPER's Lua has no sockets, so the actions run the command-line client
-- `multitrack send ... --wait --notes` through reaper.ExecProcess and read the one line of
-- JSON it prints. Everything here talks to REAPER only through the `reaper` table.
--
-- Settings (Extensions > ReaScript > run once, or the README's snippet):
--   reaper.SetExtState("Multitrack", "command", "/path/to/.venv/bin/multitrack", true)
--   reaper.SetExtState("Multitrack", "port", "9000", true)
--   reaper.SetExtState("Multitrack", "host", "192.168.1.20", true) -- a server elsewhere, and
--   reaper.SetExtState("Multitrack", "token", "SECRET", true)      -- its `serve --token`

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

--- Quote one argument for ExecProcess. REAPER runs no shell: on macOS/Linux it splits the
--- command line on spaces itself and keeps a group in ' " or ` together, backslashes literal,
--- so an argument is wrapped in a quote character it does not contain. On Windows the program
--- splits its own command line by the C runtime's rules (double quotes, backslash escapes).
--- Returns nil and a message when no quoting can carry the argument.
function M.quote(arg)
  arg = tostring(arg)
  if is_windows() then
    return '"' .. arg:gsub('(\\*)"', '%1%1\\"'):gsub('(\\+)$', '%1%1') .. '"'
  end
  if arg ~= "" and not arg:find("[%s'\"`]") then return arg end
  for _, q in ipairs({ '"', "'", "`" }) do
    if not arg:find(q, 1, true) then return q .. arg .. q end
  end
  return nil, "text with all three of ' \" ` cannot be passed to multitrack on this system: " .. arg
end

--- Where the settings written by `multitrack daw install` live (next to this file).
M.SETTINGS_FILE = "multitrack_settings.lua"

function M.setting(key, default)
  local value = reaper.GetExtState(M.SECTION, key)
  if value ~= nil and value ~= "" then return value end
  if M.installed == nil then
    local dir = (debug.getinfo(1, "S").source:match("^@(.*)[/\\]") or ".")
    local ok, settings = pcall(dofile, dir .. "/" .. M.SETTINGS_FILE)
    M.installed = (ok and type(settings) == "table") and settings or {}
  end
  local installed = M.installed[key]
  if installed ~= nil and installed ~= "" then return tostring(installed) end
  return default
end

local function run(args, timeout_s)
  local command_path = M.setting("command", "multitrack")
  local first, why = M.quote(command_path)
  if not first then return nil, nil, why end
  local parts = { first, "send" }
  for _, a in ipairs(args) do
    local quoted, err = M.quote(a)
    if not quoted then return nil, nil, err end
    parts[#parts + 1] = quoted
  end
  -- the server's address and token as `multitrack daw install` wrote them (or ExtState)
  for _, key in ipairs({ "host", "port", "token" }) do
    local value = M.setting(key, nil)
    if value then
      local quoted, err = M.quote(value)
      if not quoted then return nil, nil, err end
      parts[#parts + 1] = "--" .. key
      parts[#parts + 1] = quoted
    end
  end
  parts[#parts + 1] = "--timeout"
  parts[#parts + 1] = tostring(timeout_s)
  local command = table.concat(parts, " ")
  return reaper.ExecProcess(command, (timeout_s + 5) * 1000), command
end

local function record_of(output, command)
  if not output then
    return { ok = false, code = "no_client",
             message = "Could not run multitrack (" .. tostring(command) .. ").\n\nRun `multitrack daw install reaper` "
               .. "again, or set its path: reaper.SetExtState(\"Multitrack\", \"command\", \"/path/to/multitrack\", true)" }
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
  if not ok or type(record) ~= "table" or type(record.ok) ~= "boolean" then
    return { ok = false, code = "bad_reply", message = "multitrack send printed a reply I cannot read: "
             .. tostring(ok and last:sub(1, 200) or record) }
  end
  return record
end

--- Run `multitrack send <args…>` and return the decoded JSON record (always a table with
--- `ok`; on failure `code` and `message`). The server is pinged first (3 s), so a server that
--- is not running is reported at once rather than after the job timeout.
function M.send(args)
  local output, command, err = run({ "ping" }, 3)
  if err then return { ok = false, code = "bad_text", message = err } end
  local pong = record_of(output, command)
  if not pong.ok then
    if pong.code == "timeout" or pong.code == "unreachable" then
      pong.message = "The Multitrack server does not answer (" .. tostring(pong.message)
        .. ").\n\nStart it: multitrack serve"
    end
    return pong
  end
  output, command, err = run(args, math.floor(M.TIMEOUT_MS / 1000) - 5)
  if err then return { ok = false, code = "bad_text", message = err } end
  local record = record_of(output, command)
  if record.ok then
    local good = type(record.song) == "table" and type(record.files) == "table" and type(record.notes) == "table"
      and type(record.job) == "string" and type(record.song.bars) == "number" and type(record.song.tempo) == "number"
    for _, stem in ipairs(M.STEMS) do
      good = good and type(record.files[stem]) == "string" and type(record.notes[stem] or {}) == "table"
    end
    if not good then
      return { ok = false, code = "bad_reply", message = "The reply of multitrack send lacks the take: "
               .. tostring(output):sub(1, 200) }
    end
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
  return M.bar_start(reaper.GetCursorPosition())
end

--- The start of the bar time `t` (seconds) falls in: a take begins on a bar line.
function M.bar_start(t)
  local _, measures = reaper.TimeMap2_timeToBeats(0, t)
  return reaper.TimeMap2_beatsToTime(0, 0, measures)
end

--- Project time of `qn` quarter notes after time `start`.
function M.time_after(start, qn)
  return reaper.TimeMap2_QNToTime(0, reaper.TimeMap2_timeToQN(0, start) + qn)
end

--- The project's time signature and tempo at time `t` (seconds).
function M.project_at(t)
  local num, den, bpm = reaper.TimeMap_GetTimeSigAtTime(0, t)
  return num, den, bpm
end

--- The time selection (start, end in seconds), or nil when there is none.
function M.time_selection()
  local from, to = reaper.GetSet_LoopTimeRange2(0, false, false, 0, 0, false)
  if to > from then return from, to end
  return nil
end

--- Bars (rounded, 1-64) between two times in the meter at `from`.
function M.bars_between(from, to)
  local num, den = M.project_at(from)
  local qn = reaper.TimeMap2_timeToQN(0, to) - reaper.TimeMap2_timeToQN(0, from)
  return math.max(1, math.min(64, math.floor(qn / (num * 4 / den) + 0.5)))
end

--- The BPM a prompt names as a number ("85 bpm", "每分钟90拍", "速度 100", "tempo 72"), or nil.
--- The same forms models/text/quantities.py reads (run_reaper.lua checks a list of them).
function M.prompt_tempo(prompt)
  local lower = prompt:lower()
  for _, pattern in ipairs({ "(%d+%.?%d*)%s*bpm", "(%d+%.?%d*)%s*beats? per minute", "(%d+%.?%d*)%s*拍每分",
                             "(%d+%.?%d*)%s*拍/分", "每分钟%s*(%d+%.?%d*)%s*拍", "tempo%s*[:=]?%s*o?f?%s*(%d+%.?%d*)",
                             "速度%s*[:=为是]?%s*(%d+%.?%d*)", "♩%s*=%s*(%d+%.?%d*)" }) do
    local n, after = lower:match(pattern .. "()")
    if n and not lower:sub(after):match("^%s*[/小b]") then return tonumber(n) end
  end
  return nil
end

--- A tempo marker at `start`: the one already there gets the new tempo and keeps its time
--- signature (none: 0, 0) and its linear ramp; a new one changes the tempo only. The SDK:
--- "If timesig_num and timesig_denom are zero, the previous time signature will be used", and
--- a marker that sets one "starts new measure", which at a bar that is not the meter's own
--- would move every bar line after it.
function M.set_tempo(start, bpm)
  local index = reaper.FindTempoTimeSigMarker(0, start)
  if index >= 0 then
    local ok, pos, _, _, _, num, den, linear = reaper.GetTempoTimeSigMarker(0, index)
    if ok and math.abs(pos - start) < 1e-6 then
      reaper.SetTempoTimeSigMarker(0, index, start, -1, -1, bpm, num, den, linear)
      reaper.UpdateTimeline()
      return
    end
  end
  reaper.SetTempoTimeSigMarker(0, -1, start, -1, -1, bpm, 0, 0, false)
  reaper.UpdateTimeline()
end

--- Whether a tempo or time-signature marker lies inside (from, to) seconds: a take made at one
--- tempo and meter drifts from the project's grid after it.
function M.tempo_changes_between(from, to)
  return reaper.FindTempoTimeSigMarker(0, to - 1e-6) > reaper.FindTempoTimeSigMarker(0, from + 1e-6)
end

--- The selected media items, to select again after an action that needs its own selection.
function M.selected_items()
  local items = {}
  for k = 0, reaper.CountSelectedMediaItems(0) - 1 do items[#items + 1] = reaper.GetSelectedMediaItem(0, k) end
  return items
end

--- Select exactly `items` (those still in the project).
function M.select_items(items)
  reaper.SelectAllMediaItems(0, false)
  for _, item in ipairs(items) do
    if reaper.ValidatePtr2(0, item, "MediaItem*") then reaper.SetMediaItemSelected(item, true) end
  end
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

--- Every track tagged `tag`, in project order.
function M.tracks_tagged(tag)
  local out = {}
  for i = 0, reaper.CountTracks(0) - 1 do
    local track = reaper.GetTrack(0, i)
    local _, value = reaper.GetSetMediaTrackInfo_String(track, M.TRACK_TAG, "", false)
    if value == tag then out[#out + 1] = track end
  end
  return out
end

--- The tag of `track` ("midi:chords"), or "" for a track this script did not make.
function M.track_tag(track)
  local _, value = reaper.GetSetMediaTrackInfo_String(track, M.TRACK_TAG, "", false)
  return value
end

--- True when one of `item`'s takes (not only the active one) came from `job`.
function M.item_has_job(item, job)
  for i = 0, reaper.GetMediaItemNumTakes(item) - 1 do
    local take = reaper.GetTake(item, i)
    local _, value = reaper.GetSetMediaItemTakeInfo_String(take, "P_EXT:multitrack_job", "", false)
    if value == job then return true end
  end
  return false
end

--- Where a take's stem lives: the track tagged `tag` whose item at `start` holds a take of
--- `job`, and that item; nil when no track has one. Each Generate adds its own tracks, so
--- the first track with the tag may belong to another take.
function M.take_track(tag, job, start)
  for _, track in ipairs(M.tracks_tagged(tag)) do
    local item = M.item_at(track, start)
    if item and M.item_has_job(item, job) then return track, item end
  end
  return nil, nil
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

--- The GUID of the marker REAPER enumerates at `i` (EnumProjectMarkers3's index), or nil on a
--- REAPER too old to say (MARKER_GUID). A marker's GUID stays with it whatever the producer
--- does to its number (the marker dialog, "Renumber all markers"); its number may pass to a
--- marker the producer makes.
local function guid_at(i)
  if not reaper.GetSetProjectInfo_String then return nil end
  local ok, guid = reaper.GetSetProjectInfo_String(0, "MARKER_GUID:" .. i, "", false)
  return (ok and guid ~= "") and guid or nil
end

--- The GUID of the project marker (not region) REAPER numbers `number`, or nil.
local function marker_guid(number)
  local i = 0
  while true do
    local retval, isrgn, _, _, _, index = reaper.EnumProjectMarkers3(0, i)
    if retval == 0 then return nil end
    if not isrgn and index == number then return guid_at(i) end
    i = i + 1
  end
end

--- A project marker at `pos` named `name`, tagged in the project as this script's own by its
--- GUID (ext state "marker<GUID>" = "<job>\t<name>"), so Regenerate later removes only
--- markers this script made and the producer has not renamed, never one the producer made,
--- whatever its number.
local function own_marker(pos, name, job)
  local index = reaper.AddProjectMarker2(0, false, pos, 0, name, -1, 0)
  local guid = marker_guid(index)
  -- a REAPER without marker GUIDs: by number, as before session 22
  reaper.SetProjExtState(0, M.SECTION, "marker" .. (guid or index), job .. "\t" .. name)
  return index
end

--- One project marker per chord symbol, at its bar and beat after `start`.
function M.add_chord_markers(start, song, job)
  local num, den = M.meter(song.meter)
  for _, row in ipairs(song.chords or {}) do
    own_marker(M.time_after(start, M.row_qn(row, num, den)), row.symbol, job)
  end
end

--- One project marker per section of song.json's `sections` ({label, letter, bar from 1,
--- bars}), at its first bar after `start`, named by its label ("Verse 1", "Chorus 1").
function M.add_section_markers(start, song, job)
  local num, den = M.meter(song.meter)
  local _, bar_qn = M.beat_and_bar_qn(num, den)
  for _, section in ipairs(song.sections or {}) do
    if type(section) == "table" and type(section.bar) == "number" then
      local name = (type(section.label) == "string" and section.label ~= "") and section.label
        or tostring(section.letter or "?")
      own_marker(M.time_after(start, (section.bar - 1) * bar_qn), name, job)
    end
  end
end

--- Remove this script's markers (chords, sections) between `from` and `to` (seconds); every
--- other marker ("Chorus", "Drop", one the producer renamed, one the producer made with a
--- number a deleted marker of ours had) stays. A marker tagged by its number (scripts
--- before session 22) is still known by number and name.
function M.remove_own_markers(from, to)
  local found = {}
  local i = 0
  while true do
    local retval, isrgn, pos, _, name, index = reaper.EnumProjectMarkers3(0, i)
    if retval == 0 then break end
    if not isrgn and pos >= from - 1e-9 and pos < to then
      local guid = guid_at(i)
      local key, tag = nil, ""
      if guid then
        key = "marker" .. guid
        _, tag = reaper.GetProjExtState(0, M.SECTION, key)
      end
      if tag == "" then -- tagged by number: before session 22, or a REAPER without GUIDs
        key = "marker" .. index
        _, tag = reaper.GetProjExtState(0, M.SECTION, key)
      end
      if tag ~= "" and tag:match("\t(.*)$") == name then found[#found + 1] = { index, key } end
    end
    i = i + 1
  end
  for j = #found, 1, -1 do
    reaper.DeleteProjectMarker(0, found[j][1], false)
    reaper.SetProjExtState(0, M.SECTION, found[j][2], "")
  end
end

--- The take's ambience.wav (rain, birds ... when the prompt asked for them) on its own track
--- `ambience (audio)` from `start`, like the stems: a new item on a new track (Generate), or,
--- with `reuse` (the job regenerated), a new take in that job's ambience item
--- (Regenerate; a new track when it has none). A take without ambience adds nothing.
function M.place_ambience(record, start, reuse)
  local path = record.files and record.files.ambience
  if type(path) ~= "string" then return nil end
  local track, old = nil, nil
  if reuse then track, old = M.take_track("audio:ambience", reuse, start) end
  track = track or M.new_track("ambience (audio)", "audio:ambience")
  if old then
    M.add_audio_take(old, path, record.job, record.take_dir)
    return old
  end
  return M.insert_audio(track, path, start, record.job, record.take_dir)
end

--- The item on `track` that starts at `start` (seconds), or nil.
function M.item_at(track, start)
  for i = 0, reaper.CountTrackMediaItems(track) - 1 do
    local item = reaper.GetTrackMediaItem(track, i)
    if math.abs(reaper.GetMediaItemInfo_Value(item, "D_POSITION") - start) < 1e-6 then return item end
  end
  return nil
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
