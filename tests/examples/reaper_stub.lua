-- A stub of REAPER's `reaper` table for running the Multitrack ReaScripts under lua5.4.
--
-- It keeps a small project model (tracks, items, takes, MIDI notes, markers, tempo map,
-- ext states), checks every argument the way REAPER would need it, records every call, and
-- raises on any function REAPER does not have, so a typo or a wrong signature fails the test.
-- ExecProcess really runs the command (the real `multitrack send`) and returns REAPER's
-- "exit code\noutput" string.

local S = { os = "Other", box_answers = {}, calls = {}, tracks = {}, items = {}, markers = {}, tempo = {}, ext = {}, proj_ext = {},
            cursor = 0.0, answers = {}, argvs = {}, loop = { 0.0, 0.0 }, boxes = {}, commands = {}, outputs = {}, next_marker = 1,
            bpm = 120.0, num = 4, den = 4, ppq = 960, selected = {} }

local function fail(fmt, ...)
  error("reaper stub: " .. string.format(fmt, ...), 3)
end

local function check(cond, fmt, ...)
  if not cond then fail(fmt, ...) end
end

local function is_int(v) return math.type(v) == "integer" or (type(v) == "number" and v == math.floor(v)) end

local handles = setmetatable({}, { __mode = "k" })
local function handle(kind, t) t.__kind = kind; handles[t] = kind; return t end
local function want(kind, h, fn)
  check(type(h) == "table" and handles[h] == kind, "%s: expected a %s handle, got %s", fn, kind, tostring(h))
  if kind == "item" then check(not h.deleted, "%s: item was deleted", fn) end
end
local function want_proj(p, fn) check(p == 0 or p == nil, "%s: project must be 0 (current), got %s", fn, tostring(p)) end

-- Tempo map: piecewise constant tempo from the markers (time-sorted), 120 BPM 4/4 before.
local function segments()
  local segs = { { time = 0.0, qn = 0.0, measure = 0, bpm = S.bpm, num = S.num, den = S.den } }
  local markers = {}
  for _, m in ipairs(S.tempo) do markers[#markers + 1] = m end
  table.sort(markers, function(a, b) return a.time < b.time end)
  for _, m in ipairs(markers) do
    local last = segs[#segs]
    local qn = last.qn + (m.time - last.time) * last.bpm / 60
    local bar_qn = last.num * 4 / last.den
    local measure = last.measure + (qn - last.qn) / bar_qn
    -- a marker without a time signature keeps the one before it and starts no new measure
    segs[#segs + 1] = { time = m.time, qn = qn, measure = measure, bpm = m.bpm,
                        num = m.num or last.num, den = m.den or last.den }
  end
  return segs
end

local function seg_at_time(t)
  local segs, found = segments(), nil
  for _, s in ipairs(segs) do if t >= s.time - 1e-12 then found = s end end
  return found
end

local function seg_at_qn(qn)
  local segs, found = segments(), nil
  for _, s in ipairs(segs) do if qn >= s.qn - 1e-12 then found = s end end
  return found
end

local function time_to_qn(t)
  local s = seg_at_time(t)
  return s.qn + (t - s.time) * s.bpm / 60
end

local function qn_to_time(qn)
  local s = seg_at_qn(qn)
  return s.time + (qn - s.qn) * 60 / s.bpm
end

-- WAV length from the file's own header: RIFF/fmt/data chunks.
local function wav_seconds(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  if data:sub(1, 4) ~= "RIFF" or data:sub(9, 12) ~= "WAVE" then return nil end
  local pos, channels, rate, bits, size = 13, nil, nil, nil, nil
  while pos + 8 <= #data do
    local id, len = data:sub(pos, pos + 3), string.unpack("<I4", data, pos + 4)
    if id == "fmt " then
      channels, rate = string.unpack("<I2", data, pos + 10), string.unpack("<I4", data, pos + 12)
      bits = string.unpack("<I2", data, pos + 22)
    elseif id == "data" then
      size = len
    end
    pos = pos + 8 + len + (len % 2)
  end
  if not (channels and rate and bits and size) then return nil end
  return size / (rate * channels * bits / 8), { channels = channels, rate = rate, bits = bits }
end

local R = {}

function R.get_action_context() return false, S.script_path, 0, 0, 0, 0, 0 end
function R.GetOS() return S.os end
function R.ShowConsoleMsg(msg) check(type(msg) == "string", "ShowConsoleMsg: string") end
function R.ShowMessageBox(msg, title, kind)
  check(type(msg) == "string" and type(title) == "string" and is_int(kind), "ShowMessageBox(msg, title, type)")
  S.boxes[#S.boxes + 1] = msg
  local answer = table.remove(S.box_answers, 1)
  if kind == 0 then return 1 end  -- OK
  check(answer ~= nil, "ShowMessageBox asked (%s) but the test gave no answer", msg)
  return answer
end

function R.GetUserInputs(title, num, captions, defaults)
  check(type(title) == "string" and is_int(num) and num >= 1, "GetUserInputs(title, num, ...)")
  check(type(captions) == "string" and type(defaults) == "string", "GetUserInputs captions/defaults")
  local sep = captions:match("separator=(.)") or ","
  local fields = 0
  for part in (captions .. ","):gmatch("(.-),") do
    if not part:match("^extrawidth=") and not part:match("^separator=") then fields = fields + 1 end
  end
  check(fields == num, "GetUserInputs: %d captions for %d inputs", fields, num)
  local _, seps = defaults:gsub(sep == "\n" and "\n" or "%" .. sep, "")
  check(seps <= num - 1, "GetUserInputs: defaults has %d fields for %d inputs", seps + 1, num)
  S.last_defaults = defaults
  local answer = table.remove(S.answers, 1)
  if answer == nil then return false, "" end
  return true, answer
end

function R.GetExtState(section, key)
  check(type(section) == "string" and type(key) == "string", "GetExtState(section, key)")
  return S.ext[section .. "/" .. key] or ""
end
function R.SetExtState(section, key, value, persist)
  check(type(section) == "string" and type(key) == "string" and type(value) == "string"
    and type(persist) == "boolean", "SetExtState(section, key, value, persist)")
  S.ext[section .. "/" .. key] = value
end
function R.GetProjExtState(proj, section, key)
  want_proj(proj, "GetProjExtState")
  local v = S.proj_ext[section .. "/" .. key]
  return v and 1 or 0, v or ""
end
function R.SetProjExtState(proj, section, key, value)
  want_proj(proj, "SetProjExtState")
  check(type(section) == "string" and type(key) == "string" and type(value) == "string", "SetProjExtState strings")
  S.proj_ext[section .. "/" .. key] = value ~= "" and value or nil
  return 1
end

-- ExecProcess runs no shell. On macOS/Linux REAPER splits the command line on spaces itself,
-- keeping a group in ' " or ` together, backslashes literal (DATA.md; a quote character inside
-- a bare word is refused here, as the lib never writes one). On Windows the program gets the
-- line and splits it by the C runtime's rules (what Python's argv does there).
local function split_posix(cmd)
  local args, i, n = {}, 1, #cmd
  while i <= n do
    local c = cmd:sub(i, i)
    if c == " " then
      i = i + 1
    elseif c == '"' or c == "'" or c == "`" then
      local j = cmd:find(c, i + 1, true)
      check(j ~= nil, "ExecProcess: unterminated %s group in %s", c, cmd)
      check(j == n or cmd:sub(j + 1, j + 1) == " ", "ExecProcess: text right after a quoted group in %s", cmd)
      args[#args + 1] = cmd:sub(i + 1, j - 1)
      i = j + 1
    else
      local j = cmd:find(" ", i, true) or n + 1
      local word = cmd:sub(i, j - 1)
      check(not word:find("[\"'`]"), "ExecProcess: a quote inside the bare word %s", word)
      args[#args + 1] = word
      i = j
    end
  end
  return args
end

local function split_windows(cmd)
  local args, cur, quoted, have, i = {}, {}, false, false, 1
  while i <= #cmd do
    local c = cmd:sub(i, i)
    if c == "\\" then
      local j = i
      while cmd:sub(j, j) == "\\" do j = j + 1 end
      local count = j - i
      if cmd:sub(j, j) == '"' then
        cur[#cur + 1] = string.rep("\\", count // 2)
        if count % 2 == 1 then cur[#cur + 1] = '"'; j = j + 1 end
      else
        cur[#cur + 1] = string.rep("\\", count)
      end
      i, have = j, true
    elseif c == '"' then
      if quoted and cmd:sub(i + 1, i + 1) == '"' then cur[#cur + 1] = '"'; i = i + 2
      else quoted = not quoted; i = i + 1 end
      have = true
    elseif (c == " " or c == "\t") and not quoted then
      if have then args[#args + 1] = table.concat(cur); cur, have = {}, false end
      i = i + 1
    else
      cur[#cur + 1] = c; have = true; i = i + 1
    end
  end
  if have then args[#args + 1] = table.concat(cur) end
  return args
end

function R.ExecProcess(command, timeout)
  check(type(command) == "string" and is_int(timeout), "ExecProcess(command, timeoutmsec)")
  S.commands[#S.commands + 1] = command
  local argv = S.os:match("^Win") and split_windows(command) or split_posix(command)
  S.argvs[#S.argvs + 1] = argv
  local exe = io.open(argv[1] or "", "rb")
  if not exe then return nil end -- "NULL on total failure": no such program
  exe:close()
  local quoted = {}
  for k, a in ipairs(argv) do quoted[k] = "'" .. a:gsub("'", "'\\''") .. "'" end
  local pipe = io.popen(table.concat(quoted, " ") .. " 2>&1", "r") -- argv exactly, via the harness's sh
  local output = pipe:read("a")
  local _, _, code = pipe:close()
  S.outputs[#S.outputs + 1] = output
  return tostring(code or 0) .. "\n" .. output
end

function R.GetCursorPosition() return S.cursor end
function R.SetEditCurPos(t, move, seek)
  check(type(t) == "number" and type(move) == "boolean" and type(seek) == "boolean", "SetEditCurPos")
  S.cursor = t
end

function R.TimeMap2_timeToQN(proj, t) want_proj(proj, "TimeMap2_timeToQN"); return time_to_qn(t) end
function R.TimeMap2_QNToTime(proj, qn) want_proj(proj, "TimeMap2_QNToTime"); return qn_to_time(qn) end
function R.TimeMap2_timeToBeats(proj, t)
  want_proj(proj, "TimeMap2_timeToBeats")
  check(type(t) == "number", "TimeMap2_timeToBeats(proj, tpos)")
  local s = seg_at_time(t)
  local qn = time_to_qn(t)
  local bar_qn = s.num * 4 / s.den
  local measures = math.floor(s.measure + (qn - s.qn) / bar_qn + 1e-9)
  local beats = (qn - (s.qn + (measures - s.measure) * bar_qn)) * s.den / 4
  return beats, measures, s.num, qn * s.den / 4, s.den
end
function R.TimeMap2_beatsToTime(proj, tpos, measures)
  want_proj(proj, "TimeMap2_beatsToTime")
  check(type(tpos) == "number" and is_int(measures), "TimeMap2_beatsToTime(proj, tpos, measuresIn)")
  local segs, found = segments(), nil
  for _, s in ipairs(segs) do if measures >= s.measure - 1e-9 then found = s end end
  local qn = found.qn + (measures - found.measure) * found.num * 4 / found.den + tpos * 4 / found.den
  return qn_to_time(qn)
end
function R.CountTempoTimeSigMarkers(proj) want_proj(proj, "CountTempoTimeSigMarkers"); return #S.tempo end
local function sort_tempo() table.sort(S.tempo, function(a, b) return a.time < b.time end) end
function R.SetTempoTimeSigMarker(proj, ptidx, timepos, measurepos, beatpos, bpm, num, den, linear)
  want_proj(proj, "SetTempoTimeSigMarker")
  check(is_int(ptidx) and ptidx >= -1 and ptidx < #S.tempo, "SetTempoTimeSigMarker: no marker %s", ptidx)
  check(type(timepos) == "number" and measurepos == -1 and beatpos == -1, "SetTempoTimeSigMarker: by time")
  check(type(bpm) == "number" and bpm > 0 and is_int(num) and is_int(den) and type(linear) == "boolean",
    "SetTempoTimeSigMarker bpm/num/den/linear")
  -- "If timesig_num and timesig_denom are zero, the previous time signature will be used"
  local sets = num ~= 0 or den ~= 0
  local m = { time = timepos, bpm = bpm, num = sets and math.tointeger(num) or nil,
              den = sets and math.tointeger(den) or nil, linear = linear }
  if ptidx == -1 then S.tempo[#S.tempo + 1] = m else S.tempo[ptidx + 1] = m end
  sort_tempo()
  return true
end
function R.FindTempoTimeSigMarker(proj, t)
  want_proj(proj, "FindTempoTimeSigMarker")
  local found = -1
  for k, m in ipairs(S.tempo) do if m.time <= t + 1e-12 then found = k - 1 end end
  return found
end
function R.GetTempoTimeSigMarker(proj, ptidx)
  want_proj(proj, "GetTempoTimeSigMarker")
  local m = S.tempo[ptidx + 1]
  if not m then return false, -1, -1, -1, -1, -1, -1, false end
  return true, m.time, 0, 0, m.bpm, m.num or 0, m.den or 0, m.linear or false
end
function R.TimeMap_GetTimeSigAtTime(proj, t)
  want_proj(proj, "TimeMap_GetTimeSigAtTime")
  check(type(t) == "number", "TimeMap_GetTimeSigAtTime(proj, time)")
  local s = seg_at_time(t)
  return s.num, s.den, s.bpm
end
function R.GetSet_LoopTimeRange2(proj, set, loop, from, to, seek)
  want_proj(proj, "GetSet_LoopTimeRange2")
  check(type(set) == "boolean" and type(loop) == "boolean" and type(from) == "number" and type(to) == "number"
    and type(seek) == "boolean", "GetSet_LoopTimeRange2(proj, isSet, isLoop, start, end, allowautoseek)")
  check(not set, "the scripts never change the time selection")
  return S.loop[1], S.loop[2]
end
function R.SetCurrentBPM(proj, bpm, undo)
  want_proj(proj, "SetCurrentBPM")
  check(type(bpm) == "number" and type(undo) == "boolean", "SetCurrentBPM(proj, bpm, wantUndo)")
  S.bpm = bpm
end

function R.CountTracks(proj) want_proj(proj, "CountTracks"); return #S.tracks end
function R.InsertTrackAtIndex(index, defaults)
  check(is_int(index) and index >= 0 and index <= #S.tracks and type(defaults) == "boolean", "InsertTrackAtIndex")
  table.insert(S.tracks, index + 1, handle("track", { name = "", ext = {}, items = {} }))
end
function R.GetTrack(proj, index)
  want_proj(proj, "GetTrack")
  check(is_int(index), "GetTrack index")
  return S.tracks[index + 1]
end
function R.GetSetMediaTrackInfo_String(track, parm, value, set)
  want("track", track, "GetSetMediaTrackInfo_String")
  check(type(parm) == "string" and type(value) == "string" and type(set) == "boolean", "GetSetMediaTrackInfo_String args")
  local key = parm == "P_NAME" and "name" or parm:match("^P_EXT:(.+)$")
  check(key ~= nil, "GetSetMediaTrackInfo_String: unsupported parm %s", parm)
  local store = key == "name" and track or track.ext
  if set then store[key] = value end
  return true, store[key] or ""
end

function R.CountTrackMediaItems(track) want("track", track, "CountTrackMediaItems"); return #track.items end
function R.GetTrackMediaItem(track, i) want("track", track, "GetTrackMediaItem"); return track.items[i + 1] end
function R.GetMediaItem_Track(item) want("item", item, "GetMediaItem_Track"); return item.track end
function R.AddMediaItemToTrack(track)
  want("track", track, "AddMediaItemToTrack")
  local item = handle("item", { track = track, position = 0.0, length = 0.0, takes = {}, selected = false })
  track.items[#track.items + 1] = item
  S.items[#S.items + 1] = item
  return item
end
function R.GetMediaItemInfo_Value(item, parm)
  want("item", item, "GetMediaItemInfo_Value")
  if parm == "D_POSITION" then return item.position end
  if parm == "D_LENGTH" then return item.length end
  fail("GetMediaItemInfo_Value: unsupported parm %s", parm)
end
function R.SetMediaItemInfo_Value(item, parm, value)
  want("item", item, "SetMediaItemInfo_Value")
  check(type(value) == "number", "SetMediaItemInfo_Value value")
  if parm == "D_POSITION" then item.position = value
  elseif parm == "D_LENGTH" then check(value > 0, "item length must be > 0"); item.length = value
  else fail("SetMediaItemInfo_Value: unsupported parm %s", parm) end
  return true
end
function R.AddTakeToMediaItem(item)
  want("item", item, "AddTakeToMediaItem")
  local take = handle("take", { item = item, name = "", ext = {}, notes = {}, source = nil, midi = false,
                                startoffs = 0.0 })
  item.takes[#item.takes + 1] = take
  if not item.active then item.active = take end
  return take
end
function R.GetMediaItemNumTakes(item) want("item", item, "GetMediaItemNumTakes"); return #item.takes end
function R.GetTake(item, i) want("item", item, "GetTake"); return item.takes[i + 1] end
function R.GetActiveTake(item) want("item", item, "GetActiveTake"); return item.active end
function R.SetActiveTake(take) want("take", take, "SetActiveTake"); take.item.active = take end
function R.PCM_Source_CreateFromFile(path)
  check(type(path) == "string", "PCM_Source_CreateFromFile(filename)")
  local seconds, format = wav_seconds(path)
  check(seconds ~= nil, "PCM_Source_CreateFromFile: %s is not a readable WAV", path)
  return handle("source", { path = path, length = seconds, format = format })
end
function R.GetMediaSourceLength(source)
  want("source", source, "GetMediaSourceLength")
  return source.length, false
end
function R.SetMediaItemTake_Source(take, source)
  want("take", take, "SetMediaItemTake_Source")
  want("source", source, "SetMediaItemTake_Source")
  take.source = source
  return true
end
function R.GetSetMediaItemTakeInfo_String(take, parm, value, set)
  want("take", take, "GetSetMediaItemTakeInfo_String")
  check(type(parm) == "string" and type(value) == "string" and type(set) == "boolean", "GetSetMediaItemTakeInfo_String args")
  local key = parm == "P_NAME" and "name" or parm:match("^P_EXT:(.+)$")
  check(key ~= nil, "GetSetMediaItemTakeInfo_String: unsupported parm %s", parm)
  local store = key == "name" and take or take.ext
  if set then store[key] = value end
  return true, store[key] or ""
end

function R.CreateNewMIDIItemInProj(track, start, finish, qn_in)
  want("track", track, "CreateNewMIDIItemInProj")
  check(type(start) == "number" and type(finish) == "number" and finish > start, "CreateNewMIDIItemInProj times")
  check(qn_in == nil or qn_in == false, "CreateNewMIDIItemInProj: times are seconds here")
  local item = R.AddMediaItemToTrack(track)
  item.position, item.length = start, finish - start
  local take = R.AddTakeToMediaItem(item)
  take.midi = true
  return item
end
-- A take's start offset (D_STARTOFFS, seconds into its source) moves where its source's PPQ
-- sits in the project: a trimmed start plays the source from the offset on, at the item's
-- position (REAPER's MIDI_GetProjQNFromPPQPos and MIDI_GetPPQPosFromProjQN count it).
local function item_qn(take)
  local pos = take.item.position
  return time_to_qn(pos) - (time_to_qn(pos + take.startoffs) - time_to_qn(pos))
end
function R.GetMediaItemTakeInfo_Value(take, parm)
  want("take", take, "GetMediaItemTakeInfo_Value")
  if parm == "D_STARTOFFS" then return take.startoffs end
  fail("GetMediaItemTakeInfo_Value: unsupported parm %s", parm)
end
function R.SetMediaItemTakeInfo_Value(take, parm, value)
  want("take", take, "SetMediaItemTakeInfo_Value")
  check(type(value) == "number", "SetMediaItemTakeInfo_Value value")
  if parm == "D_STARTOFFS" then take.startoffs = value else fail("SetMediaItemTakeInfo_Value: unsupported parm %s", parm) end
  return true
end
function R.MIDI_GetPPQPosFromProjQN(take, qn)
  want("take", take, "MIDI_GetPPQPosFromProjQN"); check(take.midi, "not a MIDI take")
  return (qn - item_qn(take)) * S.ppq
end
function R.MIDI_GetProjQNFromPPQPos(take, ppq)
  want("take", take, "MIDI_GetProjQNFromPPQPos"); check(take.midi, "not a MIDI take")
  return item_qn(take) + ppq / S.ppq
end
function R.MIDI_InsertNote(take, selected, muted, on, off, chan, pitch, vel, nosort)
  want("take", take, "MIDI_InsertNote"); check(take.midi, "MIDI_InsertNote: not a MIDI take")
  check(type(selected) == "boolean" and type(muted) == "boolean" and type(nosort) == "boolean", "MIDI_InsertNote flags")
  check(type(on) == "number" and type(off) == "number" and off > on and on >= 0, "MIDI_InsertNote: ppq %s-%s", on, off)
  check(is_int(chan) and chan >= 0 and chan <= 15, "MIDI_InsertNote: channel %s", chan)
  check(is_int(pitch) and pitch >= 0 and pitch <= 127, "MIDI_InsertNote: pitch %s", pitch)
  check(is_int(vel) and vel >= 1 and vel <= 127, "MIDI_InsertNote: velocity %s", vel)
  take.notes[#take.notes + 1] = { selected = selected, muted = muted, on = on, off = off, chan = chan, pitch = pitch, vel = vel }
  take.sorted = false
  return true
end
function R.MIDI_Sort(take)
  want("take", take, "MIDI_Sort")
  table.sort(take.notes, function(a, b) return a.on < b.on or (a.on == b.on and a.pitch < b.pitch) end)
  take.sorted = true
end
function R.MIDI_CountEvts(take)
  want("take", take, "MIDI_CountEvts"); check(take.midi, "MIDI_CountEvts: not a MIDI take")
  return 1, #take.notes, 0, 0
end
function R.MIDI_GetNote(take, i)
  want("take", take, "MIDI_GetNote")
  local n = take.notes[i + 1]
  check(n ~= nil, "MIDI_GetNote: no note %d", i)
  return true, n.selected, n.muted, n.on, n.off, n.chan, n.pitch, n.vel
end

function R.CountSelectedMediaItems(proj)
  want_proj(proj, "CountSelectedMediaItems")
  local n = 0
  for _, item in ipairs(S.items) do if item.selected and not item.deleted then n = n + 1 end end
  return n
end
function R.GetSelectedMediaItem(proj, i)
  want_proj(proj, "GetSelectedMediaItem")
  local n = 0
  for _, item in ipairs(S.items) do
    if item.selected and not item.deleted then
      if n == i then return item end
      n = n + 1
    end
  end
  return nil
end
function R.SelectAllMediaItems(proj, selected)
  want_proj(proj, "SelectAllMediaItems")
  for _, item in ipairs(S.items) do item.selected = selected end
end
function R.ValidatePtr2(proj, pointer, ctypename)
  want_proj(proj, "ValidatePtr2")
  check(ctypename == "MediaItem*", "ValidatePtr2: the stub checks MediaItem* only, got %s", tostring(ctypename))
  for _, item in ipairs(S.items) do if item == pointer then return not item.deleted end end
  return false
end
function R.SetMediaItemSelected(item, selected)
  want("item", item, "SetMediaItemSelected")
  item.selected = selected
end

function R.Main_OnCommand(command, flag)
  check(is_int(command) and is_int(flag), "Main_OnCommand(command, flag)")
  check(command == 40543, "Main_OnCommand: the stub knows only 40543 (implode into takes), got %d", command)
  local selected = {}
  for _, item in ipairs(S.items) do if item.selected and not item.deleted then selected[#selected + 1] = item end end
  check(#selected >= 2, "implode: select at least two items")
  local first = selected[1]
  for j = 2, #selected do
    local other = selected[j]
    check(other.track == first.track, "implode: items on one track only")
    for _, take in ipairs(other.takes) do take.item = first; first.takes[#first.takes + 1] = take end
    other.deleted, other.selected = true, false
    for k, it in ipairs(other.track.items) do if it == other then table.remove(other.track.items, k) break end end
  end
end

function R.AddProjectMarker2(proj, isrgn, pos, rgnend, name, wantidx, color)
  want_proj(proj, "AddProjectMarker2")
  check(type(isrgn) == "boolean" and type(pos) == "number" and type(rgnend) == "number"
    and type(name) == "string" and is_int(wantidx) and is_int(color), "AddProjectMarker2 args")
  -- the number asked for when it is free (the producer may type one in the marker dialog),
  -- else the next; every marker gets its own GUID, which renumbering leaves alone
  local taken = {}
  for _, m in ipairs(S.markers) do if m.isrgn == isrgn then taken[m.index] = true end end
  local index = wantidx
  if wantidx < 0 or taken[wantidx] then
    index = S.next_marker
    while taken[index] do index = index + 1 end
  end
  S.next_marker = math.max(S.next_marker, index + 1)
  S.guids = (S.guids or 0) + 1
  local guid = string.format("{%08X-0000-4000-8000-%012X}", S.guids, S.guids)
  S.markers[#S.markers + 1] = { isrgn = isrgn, pos = pos, rgnend = rgnend, name = name, index = index, color = color,
                                guid = guid }
  table.sort(S.markers, function(a, b) return a.pos < b.pos or (a.pos == b.pos and a.index < b.index) end)
  return index
end
function R.EnumProjectMarkers3(proj, i)
  want_proj(proj, "EnumProjectMarkers3")
  local m = S.markers[i + 1]
  if not m then return 0, false, 0, 0, "", 0, 0 end
  return i + 1, m.isrgn, m.pos, m.rgnend, m.name, m.index, m.color
end
-- Only the one key the scripts read: MARKER_GUID:X, X the enumeration index (read-only).
function R.GetSetProjectInfo_String(proj, desc, value, is_set)
  want_proj(proj, "GetSetProjectInfo_String")
  check(type(desc) == "string" and type(value) == "string" and type(is_set) == "boolean",
    "GetSetProjectInfo_String args")
  local x = desc:match("^MARKER_GUID:(%d+)$")
  check(x ~= nil, "GetSetProjectInfo_String: unsupported desc %s", desc)
  check(not is_set, "GetSetProjectInfo_String: MARKER_GUID is read-only")
  local m = S.markers[tonumber(x) + 1]
  if not m then return false, "" end
  return true, m.guid
end
function R.DeleteProjectMarker(proj, index, isrgn)
  want_proj(proj, "DeleteProjectMarker")
  for k, m in ipairs(S.markers) do
    if m.index == index and m.isrgn == isrgn then table.remove(S.markers, k) return true end
  end
  return false
end

function R.Undo_BeginBlock() S.undo = (S.undo or 0) + 1 end
function R.Undo_EndBlock(desc, flags)
  check(type(desc) == "string" and is_int(flags), "Undo_EndBlock(desc, flags)")
  check((S.undo or 0) > 0, "Undo_EndBlock without Undo_BeginBlock")
  S.undo = S.undo - 1
  S.last_undo = desc
end
function R.PreventUIRefresh(n) check(is_int(n), "PreventUIRefresh(int)"); S.refresh = (S.refresh or 0) + n end
function R.UpdateArrange() end
function R.UpdateTimeline() end

-- Every call is recorded; a function the SDK header does not declare (reaper_api.lua), or a
-- call with an argument count its prototype does not allow, is an error.
local here = debug.getinfo(1, "S").source:match("^@(.*)[/\\]") or "."
local API = dofile(here .. "/reaper_api.lua")

local function arity(name)
  local entry = API.functions[name]
  if entry.lua then return entry.lua.min, entry.lua.max end
  if API.overrides[name] then return API.overrides[name].min, API.overrides[name].max end
  local params = entry.c:match("%((.*)%)")
  local min, max = 0, 0
  for param in params:gmatch("[^,]+") do
    local pname = param:match("([%w_]+)%s*$")
    if not (pname:match("Out$") or pname:match("OutOptional$") or pname:match("OutNeedBig$") or pname:match("_sz$")) then
      max = max + 1
      if not pname:match("Optional$") then min = max end
    end
  end
  return min, max
end

local reaper = setmetatable({}, {
  __index = function(_, name)
    check(API.functions[name] ~= nil, "REAPER has no function reaper.%s (not in reaper_plugin_functions.h)", tostring(name))
    local fn = R[name]
    check(fn ~= nil, "the stub does not model reaper.%s yet", name)
    local min, max = arity(name)
    return function(...)
      local n = select("#", ...)
      if n < min or n > max then
        error(string.format("reaper stub: reaper.%s takes %d-%d arguments (%s), got %d", name, min, max,
          API.functions[name].c or "ReaScript", n), 2)
      end
      S.calls[#S.calls + 1] = { name = name, args = { ... } }
      return fn(...)
    end
  end,
  __newindex = function() error("reaper stub: scripts must not assign into reaper", 2) end,
})

return { reaper = reaper, state = S, time_to_qn = time_to_qn, qn_to_time = qn_to_time, wav_seconds = wav_seconds,
         split_posix = split_posix, split_windows = split_windows, arity = arity, api = API }
