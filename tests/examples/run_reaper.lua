-- Runs the two Multitrack ReaScripts against the stub `reaper` table and checks what they did.
-- Usage: lua5.4 run_reaper.lua <examples/reaper dir> <multitrack executable> <port>
-- Prints "ALL OK" and exits 0 when every check passes; any failed check raises.

local scripts, command, port = arg[1], arg[2], arg[3]
local here = arg[0]:match("^(.*)[/\\]") or "."
local stub = dofile(here .. "/reaper_stub.lua")
local S = stub.state
reaper = stub.reaper -- luacheck: ignore (the scripts use the global, as inside REAPER)
local mt = dofile(scripts .. "/multitrack_lib.lua")

local checks = 0
local function expect(cond, fmt, ...)
  checks = checks + 1
  if not cond then error("check failed: " .. string.format(fmt, ...), 2) end
end
local function near(a, b) return math.abs(a - b) < 1e-6 end

local function run(script)
  S.script_path = scripts .. "/" .. script
  dofile(S.script_path)
  expect(#S.boxes == 0, "%s showed a message: %s", script, S.boxes[1] or "")
  expect((S.undo or 0) == 0 and (S.refresh or 0) == 0, "%s left an undo block or UI refresh open", script)
end

local function last_record()
  local line
  for l in S.outputs[#S.outputs]:gmatch("[^\n]+") do if l:match("^{") then line = l end end
  return mt.json_decode(line)
end

local function by_tag(tag)
  for _, t in ipairs(S.tracks) do if t.ext.multitrack == tag then return t end end
  error("no track tagged " .. tag)
end

-- Set-up as a producer would: the command and port once, the cursor inside bar 3 at 120 BPM.
S.ext["Multitrack/command"] = command
S.ext["Multitrack/port"] = port
S.cursor = 5.0
local bar_start = 4.0 -- bar 3 starts at 4 s at 120 BPM in 4/4

-- 1. Generate ---------------------------------------------------------------------------------
S.answers = { "欢快的流行歌\n8\n3" }
run("Multitrack - Generate.lua")
expect(#S.commands == 1, "one ExecProcess call")
local cmd = S.commands[1]
expect(cmd:find("send 'generate' '欢快的流行歌' '--wait' '--notes' '--bars' '8' '--seed' '3'", 1, true),
  "generate command line: %s", cmd)
expect(cmd:find("--port '" .. port .. "'", 1, true), "the port setting is used")
local record = last_record()
expect(record.ok == true, "generate succeeded")
local song = record.song
local num, den = mt.meter(song.meter)

expect(#S.tempo == 1 and near(S.tempo[1].time, bar_start), "one tempo marker at the cursor's bar")
expect(near(S.tempo[1].bpm, song.tempo) and S.tempo[1].num == num and S.tempo[1].den == den,
  "tempo marker holds the take's tempo and meter")

local names = {}
for _, t in ipairs(S.tracks) do names[#names + 1] = t.name end
expect(table.concat(names, ",") == "melody (audio),chords (audio),bass (audio),drums (audio),"
  .. "melody (MIDI),chords (MIDI),bass (MIDI),drums (MIDI)", "eight named tracks: %s", table.concat(names, ","))

local length_qn = song.bars * num * 4 / den
local item_end = stub.qn_to_time(stub.time_to_qn(bar_start) + length_qn)
for _, stem in ipairs(mt.STEMS) do
  local track = by_tag("audio:" .. stem)
  expect(#track.items == 1, "%s audio: one item", stem)
  local item = track.items[1]
  local take = item.active
  expect(take.source.path == record.files[stem], "%s audio plays %s", stem, record.files[stem])
  expect(take.source.format.bits == 24 and take.source.format.rate == song.sample_rate, "%s WAV 24-bit", stem)
  expect(near(item.position, bar_start), "%s audio starts at the bar", stem)
  expect(near(item.length, take.source.length) and item.length >= item_end - bar_start - 0.01,
    "%s audio item is the whole WAV (%f s), at least the take", stem, item.length)
  expect(take.ext.multitrack_job == record.job and take.name == record.job, "%s audio take tagged", stem)

  local midi = by_tag("midi:" .. stem).items[1]
  local mtake = midi.active
  expect(mtake.midi and near(midi.position, bar_start) and near(midi.position + midi.length, item_end),
    "%s MIDI item spans the take", stem)
  expect(#mtake.notes == #record.notes[stem], "%s MIDI has all %d notes", stem, #record.notes[stem])
  for k, n in ipairs(record.notes[stem]) do
    local got = mtake.notes[k]
    expect(got.pitch == n[1] and got.vel == n[4], "%s note %d pitch/velocity", stem, k)
    expect(near(got.on, n[2] * 960) and near(got.off, (n[2] + n[3]) * 960), "%s note %d timing", stem, k)
    expect(got.chan == (stem == "drums" and 9 or 0), "%s note %d channel", stem, k)
  end
end

expect(#S.markers == #song.chords, "one marker per chord row")
local beat_qn, bar_qn = mt.beat_and_bar_qn(num, den)
for k, row in ipairs(song.chords) do
  local want = stub.qn_to_time(stub.time_to_qn(bar_start) + (row.bar - 1) * bar_qn + (row.beat - 1) * beat_qn)
  expect(S.markers[k].name == row.symbol and near(S.markers[k].pos, want), "marker %d is %s", k, row.symbol)
end
expect(S.proj_ext["Multitrack/last_job"] == record.job, "the project remembers the job")
local first_job = record.job

-- 2. The producer rewrites the chords clip: Dm for a bar, then G (quarter notes from the item).
local chords_item = by_tag("midi:chords").items[1]
local ctake = chords_item.active
ctake.notes = {}
for _, n in ipairs({ { 50, 0, 4 }, { 53, 0, 4 }, { 57, 0, 4 }, { 55, 4, 4 }, { 59, 4, 4 }, { 62, 4, 4 } }) do
  ctake.notes[#ctake.notes + 1] = { selected = false, muted = false, on = n[2] * 960, off = (n[2] + n[3]) * 960,
                                    chan = 0, pitch = n[1], vel = 90 }
end
ctake.notes[#ctake.notes + 1] = { selected = false, muted = true, on = 0, off = 960, chan = 0, pitch = 30, vel = 90 }
chords_item.selected = true
S.cursor = 0.0

-- 3. Regenerate -------------------------------------------------------------------------------
S.answers = { "drums\n\n5" }
run("Multitrack - Regenerate from edited chords.lua")
expect(#S.commands == 2, "a second ExecProcess call")
cmd = S.commands[2]
local edited = "50 0.0000 4.0000 53 0.0000 4.0000 57 0.0000 4.0000 55 4.0000 4.0000 59 4.0000 4.0000 62 4.0000 4.0000"
expect(cmd:find("send 'regenerate' '" .. first_job .. "' '--chord-notes' '" .. edited .. "'", 1, true),
  "regenerate sends the edited, unmuted notes: %s", cmd)
expect(cmd:find("'--keep' 'drums'", 1, true) and cmd:find("'--seed' '5'", 1, true), "keep and seed passed")
local second = last_record()
expect(second.ok == true and second.job ~= first_job, "regenerate succeeded")

for _, stem in ipairs(mt.STEMS) do
  local track = by_tag("audio:" .. stem)
  expect(#track.items == 1 and #track.items[1].takes == 2, "%s audio: old and new take in one item", stem)
  local item = track.items[1]
  expect(item.takes[1].source.path == record.files[stem], "%s audio keeps the old take", stem)
  expect(item.active.source.path == second.files[stem], "%s audio plays the new take", stem)
  local midi_track = by_tag("midi:" .. stem)
  expect(#midi_track.items == 1 and #midi_track.items[1].takes == 2, "%s MIDI: imploded into two takes", stem)
  expect(midi_track.items[1].active.ext.multitrack_job == second.job, "%s MIDI: new take active", stem)
  expect(#midi_track.items[1].active.notes == #second.notes[stem], "%s MIDI: new notes", stem)
end
expect(#by_tag("midi:chords").items[1].takes[1].notes == 7, "the edited chords take stays as edited")
expect(#S.markers == #second.song.chords, "markers replaced by the new chords")
for k, row in ipairs(second.song.chords) do
  expect(S.markers[k].name == row.symbol, "new marker %d is %s", k, row.symbol)
end
expect(S.last_undo == "Multitrack: regenerate " .. second.job .. " from " .. first_job, "undo point named")

-- 4. Cancelled dialogs and server errors end quietly or with one message box ------------------
S.answers = {}
run("Multitrack - Generate.lua")
expect(#S.commands == 2, "a cancelled dialog runs nothing")
S.answers = { "something\n0\n0" }
S.script_path = scripts .. "/Multitrack - Generate.lua"
dofile(S.script_path)
expect(#S.boxes == 1 and S.boxes[1]:find("bars must be 1-64", 1, true), "server error shown: %s", S.boxes[1] or "")

-- 5. The JSON decoder and quoting on their own ------------------------------------------------
local v = mt.json_decode('{"a":[1,2.5,-3e2,true,false,null],"s":"\\u4e2d\\ud83c\\udfb5\\n\\"q\\"","o":{}}')
expect(v.a[1] == 1 and v.a[2] == 2.5 and v.a[3] == -300 and v.a[4] == true and v.a[5] == false, "JSON values")
expect(v.a[6] == mt.null and v.s == "中🎵\n\"q\"" and next(v.o) == nil, "JSON strings and null")
for _, bad in ipairs({ "{", '{"a":}', "[1,]", '"open', "01x", "{} x" }) do
  expect(not pcall(mt.json_decode, bad), "bad JSON %s refused", bad)
end
expect(mt.quote("it's") == "'it'\\''s'", "POSIX quoting: %s", mt.quote("it's"))

print(string.format("ALL OK (%d checks, %d reaper calls)", checks, #S.calls))
