-- Runs the two Multitrack ReaScripts against the stub `reaper` table and checks what they did.
-- Usage: lua5.4 run_reaper.lua <examples/reaper dir> <multitrack executable> <port>
-- Prints "ALL OK" and exits 0 when every check passes; any failed check raises.

local scripts, command, port, free_port = arg[1], arg[2], arg[3], arg[4]
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
  local boxes = #S.boxes
  S.script_path = scripts .. "/" .. script
  dofile(S.script_path)
  expect(#S.boxes == boxes, "%s showed a message: %s", script, S.boxes[#S.boxes] or "")
  expect((S.undo or 0) == 0 and (S.refresh or 0) == 0, "%s left an undo block or UI refresh open", script)
end

local function run_box(script, want)
  local boxes = #S.boxes
  S.script_path = scripts .. "/" .. script
  dofile(S.script_path)
  expect(#S.boxes == boxes + 1 and S.boxes[#S.boxes]:find(want, 1, true), "%s asked: %s", script, table.concat(S.boxes, " / ", boxes + 1))
  expect((S.undo or 0) == 0 and (S.refresh or 0) == 0, "%s left an undo block open", script)
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

local function argv_line(k) return table.concat(S.argvs[k], " ", 2) end

-- Markers the producer made, inside the take's range: nothing may touch them. "Drop" is at
-- bar 7, where the take's "Chorus 1" section and a chord marker will also start.
reaper.AddProjectMarker2(0, false, 6.0, 0, "Bridge", -1, 0)
reaper.AddProjectMarker2(0, false, 12.0, 0, "Drop", -1, 0)
local PROMPT = "欢快的流行歌 AABB 雨声" -- a form (4 sections of 2 bars) and rain (ambience.wav)

-- 1. Generate: at the project's tempo and meter, the project's tempo map left alone ----------
S.answers = { PROMPT .. "\n8\n3" }
run("Multitrack - Generate.lua")
expect(#S.commands == 2, "ping, then generate")
expect(argv_line(1) == "send ping --port " .. port .. " --timeout 3", "ping argv: %s", argv_line(1))
expect(argv_line(2):find("send generate " .. PROMPT .. " --wait --notes --bpm 120 --meter 4/4 --bars 8 --seed 3 --port "
  .. port, 1, true), "generate argv: %s", argv_line(2))
local record = last_record()
expect(record.ok == true, "generate succeeded")
local song = record.song
local num, den = mt.meter(song.meter)
expect(#S.tempo == 0 and S.bpm == 120, "the project's tempo map is as it was")

local names = {}
for _, t in ipairs(S.tracks) do names[#names + 1] = t.name end
expect(table.concat(names, ",") == "melody (audio),chords (audio),bass (audio),drums (audio),"
  .. "melody (MIDI),chords (MIDI),bass (MIDI),drums (MIDI),ambience (audio)",
  "eight named tracks and the ambience: %s", table.concat(names, ","))

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

-- The ambience: its own track, one item from the take's start playing ambience.wav.
expect(type(record.files.ambience) == "string" and record.files.ambience:match("ambience%.wav$"),
  "the reply names ambience.wav: %s", tostring(record.files.ambience))
local ambience_item = by_tag("audio:ambience").items[1]
expect(#by_tag("audio:ambience").items == 1 and ambience_item.active.source.path == record.files.ambience,
  "the ambience track plays ambience.wav")
expect(near(ambience_item.position, bar_start) and near(ambience_item.length, ambience_item.active.source.length)
  and near(ambience_item.length, by_tag("audio:melody").items[1].length), "ambience from the bar, as long as the stems")
expect(ambience_item.active.ext.multitrack_job == record.job, "ambience take tagged")

local function tag_of(m) return S.proj_ext["Multitrack/marker" .. m.guid] end
local function is_own(m) return tag_of(m) ~= nil end
local function labels_of(s)
  local out = {}
  for _, x in ipairs(s.sections or {}) do out[x.label] = true end
  return out
end
local function own_markers(which, s)
  local labels, out = labels_of(s), {}
  for _, m in ipairs(S.markers) do
    if is_own(m) and (labels[m.name] == true) == (which == "section") then out[#out + 1] = m end
  end
  return out
end
local function chord_markers() return own_markers("chord", song) end
local function producers()
  local out = {}
  for _, m in ipairs(S.markers) do if not is_own(m) then out[#out + 1] = m.name .. "@" .. m.pos end end
  return table.concat(out, ",")
end
expect(#chord_markers() == #song.chords, "one marker per chord row")
local beat_qn, bar_qn = mt.beat_and_bar_qn(num, den)
for k, row in ipairs(song.chords) do
  local want = stub.qn_to_time(stub.time_to_qn(bar_start) + (row.bar - 1) * bar_qn + (row.beat - 1) * beat_qn)
  local m = chord_markers()[k]
  expect(m.name == row.symbol and near(m.pos, want), "marker %d is %s", k, row.symbol)
  expect(tag_of(m) == record.job .. "\t" .. row.symbol, "marker %d tagged", k)
end
expect(S.proj_ext["Multitrack/last_job"] == record.job, "the project remembers the job")

-- The song's sections: a marker at each section's first bar, named by its label, tagged.
expect(#song.sections == 4, "AABB in 8 bars: 4 sections, got %d", #song.sections)
local section_marks = own_markers("section", song)
expect(#section_marks == #song.sections, "one marker per section (%d)", #section_marks)
for k, section in ipairs(song.sections) do
  local want = stub.qn_to_time(stub.time_to_qn(bar_start) + (section.bar - 1) * bar_qn)
  local m = section_marks[k]
  expect(m.name == section.label and near(m.pos, want), "section marker %d is %s at %f (got %s at %f)",
    k, section.label, want, m.name, m.pos)
  expect(tag_of(m) == record.job .. "\t" .. section.label, "section marker %d tagged", k)
end
expect(song.sections[3].label == "Chorus 1" and near(section_marks[3].pos, 12.0), "Chorus 1 is at the producer's Drop")
expect(producers() == "Bridge@6.0,Drop@12.0", "the producer's markers are as they were: %s", producers())
local first_job = record.job
-- The producer deletes the script's "Chorus 1" marker and puts their own in its place, with
-- the same name and, typed in the marker dialog, the same number: it is theirs now, and no
-- regenerate may take it (markers are the script's by their GUID, not their number).
local ours = section_marks[3]
reaper.DeleteProjectMarker(0, ours.index, false)
local theirs = reaper.AddProjectMarker2(0, false, ours.pos, 0, ours.name, ours.index, 0)
expect(theirs == ours.index, "the producer's marker took the number %d (got %d)", ours.index, theirs)
expect(producers() == "Bridge@6.0,Drop@12.0,Chorus 1@12.0", "the producer's Chorus 1: %s", producers())
-- A chord marker an older script made, tagged by its number: still the script's to replace.
local legacy = reaper.AddProjectMarker2(0, false, 13.0, 0, "Em", -1, 0)
reaper.SetProjExtState(0, "Multitrack", "marker" .. legacy, "j-old\tEm")

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
-- the producer's own item, selected with the chords: selected again after the implodes
reaper.InsertTrackAtIndex(#S.tracks, true)
local vocal = reaper.AddMediaItemToTrack(S.tracks[#S.tracks])
vocal.selected = true

-- 3. Regenerate -------------------------------------------------------------------------------
S.answers = { "drums\n\n5" }
run("Multitrack - Regenerate from edited chords.lua")
expect(vocal.selected, "the producer's item selection is given back after the implodes")
vocal.selected = false
expect(#S.commands == 4, "ping and regenerate")
local edited = "50 0.0000 4.0000 53 0.0000 4.0000 57 0.0000 4.0000 55 4.0000 4.0000 59 4.0000 4.0000 62 4.0000 4.0000"
expect(S.argvs[4][3] == "regenerate" and S.argvs[4][4] == first_job and S.argvs[4][5] == "--chord-notes"
  and S.argvs[4][6] == edited, "regenerate sends the edited, unmuted notes: %s", argv_line(4))
expect(argv_line(4):find("--keep drums", 1, true) and argv_line(4):find("--seed 5", 1, true), "keep and seed passed")
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
local function regen_chords() return own_markers("chord", second.song) end
expect(#regen_chords() == #second.song.chords, "markers replaced by the new chords")
for k, row in ipairs(second.song.chords) do
  expect(regen_chords()[k].name == row.symbol, "new marker %d is %s", k, row.symbol)
end
local new_sections = own_markers("section", second.song)
expect(#new_sections == #second.song.sections and #second.song.sections == 4, "section markers replaced, not doubled")
for k, m in ipairs(new_sections) do
  expect(tag_of(m) == second.job .. "\t" .. second.song.sections[k].label,
    "section marker %d is the new take's", k)
end
expect(#S.markers == #second.song.chords + #second.song.sections + 3, "only the script's markers were replaced")
for _, m in ipairs(S.markers) do
  expect(not (m.index == legacy and m.name == "Em"), "the older script's Em marker was replaced")
end
expect(S.proj_ext["Multitrack/marker" .. legacy] == nil or S.proj_ext["Multitrack/marker" .. legacy] == "",
  "its number tag is cleared")
expect(producers() == "Bridge@6.0,Drop@12.0,Chorus 1@12.0",
  "the producer's markers stay, their Chorus 1 with the script's old number too: %s", producers())
local ambience_track = by_tag("audio:ambience")
expect(#ambience_track.items == 1 and #ambience_track.items[1].takes == 2, "ambience: old and new take in one item")
expect(ambience_track.items[1].takes[1].source.path == record.files.ambience
  and ambience_track.items[1].active.source.path == second.files.ambience, "ambience plays the new take, keeps the old")
expect(S.last_undo == "Multitrack: regenerate " .. second.job .. " from " .. first_job, "undo point named")

-- 3b. A second take later in the project: Regenerate edits the take whose chords item is
-- selected, on that take's own tracks, even with the edit cursor over the first take --------
local function tagged(tag)
  local out = {}
  for _, t in ipairs(S.tracks) do if t.ext.multitrack == tag then out[#out + 1] = t end end
  return out
end
S.cursor = 41.0 -- bar 21
S.answers = { "lofi\n4\n1" }
run("Multitrack - Generate.lua")
local other = last_record()
expect(other.ok == true and #tagged("midi:chords") == 2, "a second take on its own tracks")
local other_chords = tagged("midi:chords")[2].items[1]
expect(near(other_chords.position, 40.0), "the second take starts at bar 21")
local first_chords = tagged("midi:chords")[1].items[1]
first_chords.selected = false
other_chords.selected = true
S.cursor = 5.0 -- over the first take
S.answers = { "\n\n" }
run("Multitrack - Regenerate from edited chords.lua")
local third = last_record()
expect(S.argvs[#S.argvs][3] == "regenerate" and S.argvs[#S.argvs][4] == other.job,
  "regenerate edits the selected take (%s), not the first: %s", other.job, argv_line(#S.argvs))
for _, stem in ipairs(mt.STEMS) do
  for _, kind in ipairs({ "audio:", "midi:" }) do
    local own, first = tagged(kind .. stem)[2], tagged(kind .. stem)[1]
    expect(#own.items == 1 and #own.items[1].takes == 2 and own.items[1].active.ext.multitrack_job == third.job,
      "%s%s: the new take lands in the second take's item", kind, stem)
    expect(#first.items == 1 and #first.items[1].takes == 2 and first.items[1].active.ext.multitrack_job == second.job,
      "%s%s: the first take's item is as it was", kind, stem)
  end
end
other_chords.selected = false
first_chords.selected = true

-- 4. Cancelled dialogs and server errors end quietly or with one message box ------------------
local function snapshot()
  return string.format("%d tracks, %d items, %d markers, %d tempo, %g bpm", #S.tracks, #S.items, #S.markers, #S.tempo, S.bpm)
end
local function fails_cleanly(script, answers, want, what)
  local before, boxes = snapshot(), #S.boxes
  S.answers = answers
  S.script_path = scripts .. "/" .. script
  dofile(S.script_path)
  expect(#S.boxes == boxes + 1 and S.boxes[#S.boxes]:find(want, 1, true), "%s: box says %s, got %s", what, want,
    S.boxes[#S.boxes] or "nothing")
  expect(snapshot() == before, "%s: the project is unchanged (%s, was %s)", what, snapshot(), before)
  expect((S.undo or 0) == 0 and (S.refresh or 0) == 0, "%s: no undo block left open", what)
end
local calls = #S.commands
S.answers = {}
run("Multitrack - Generate.lua")
expect(#S.commands == calls, "a cancelled dialog runs nothing")
fails_cleanly("Multitrack - Generate.lua", { "something\n0\n0" }, "bars must be 1-64", "server error")
S.ext["Multitrack/port"] = free_port
fails_cleanly("Multitrack - Generate.lua", { "lofi\n4\n0" }, "does not answer", "server down")
S.ext["Multitrack/port"] = port
S.ext["Multitrack/command"] = "/no/such/multitrack"
fails_cleanly("Multitrack - Generate.lua", { "lofi\n4\n0" }, "Could not run multitrack", "wrong path")
local fake = os.tmpname()
local f = io.open(fake, "w")
f:write('#!/bin/sh\nif [ "$2" = ping ]; then echo \'{"ok": true, "version": "x"}\'; else echo \'{"ok": true, "job": 5, "so\'; fi\n')
f:close()
os.execute("chmod +x " .. fake)
S.ext["Multitrack/command"] = fake
fails_cleanly("Multitrack - Generate.lua", { "lofi\n4\n0" }, "cannot read", "malformed reply")
f = io.open(fake, "w")
f:write('#!/bin/sh\necho \'{"ok": true, "job": "j", "song": {"bars": 8}}\'\n')
f:close()
fails_cleanly("Multitrack - Generate.lua", { "lofi\n4\n0" }, "lacks the take", "reply without a take")
os.remove(fake)
S.ext["Multitrack/command"] = command
fails_cleanly("Multitrack - Generate.lua", { "a'b\"c`d\n4\n0" }, "cannot be passed", "unquotable prompt")
-- a chords item the producer trimmed plays only the notes inside it: its end cut before
-- its notes (bars 3-4 of the source), or its start moved past them (an offset of two bars)
local trimmed = by_tag("midi:chords").items[1]
local ttake, length = trimmed.active, trimmed.length
local kept_notes = ttake.notes
ttake.notes = {}
for _, n in ipairs({ { 50, 8, 4 }, { 53, 8, 4 }, { 57, 12, 4 } }) do
  ttake.notes[#ttake.notes + 1] = { selected = false, muted = false, on = n[2] * 960, off = (n[2] + n[3]) * 960,
                                    chan = 0, pitch = n[1], vel = 90 }
end
trimmed.length = stub.qn_to_time(stub.time_to_qn(trimmed.position) + 8) - trimmed.position
fails_cleanly("Multitrack - Regenerate from edited chords.lua", {}, "has no notes", "chords past a trimmed end")
trimmed.length = length
for _, n in ipairs(ttake.notes) do n.on, n.off = n.on - 8 * 960, n.off - 8 * 960 end
reaper.SetMediaItemTakeInfo_Value(ttake, "D_STARTOFFS", stub.qn_to_time(8) - stub.qn_to_time(0))
fails_cleanly("Multitrack - Regenerate from edited chords.lua", {}, "has no notes", "chords before a trimmed start")
reaper.SetMediaItemTakeInfo_Value(ttake, "D_STARTOFFS", 0.0)
ttake.notes = kept_notes
by_tag("midi:chords").items[1].active.notes = {}
fails_cleanly("Multitrack - Regenerate from edited chords.lua", {}, "has no notes", "empty chord clip")

-- 5. Fit the project: the time selection's length and meter; a named tempo asked first ------
S.loop = { stub.qn_to_time(48), stub.qn_to_time(48 + 3 * 6) } -- 6 bars of 3/4 once the meter changes
S.tempo = { { time = stub.qn_to_time(48), bpm = 100, num = 3, den = 4 } }
local sel_start = S.loop[1]
S.loop[2] = sel_start + 6 * 3 * 60 / 100
S.answers = { "lo-fi 85 bpm\n6\n1" }
S.box_answers = { 7 } -- No: keep the project's tempo
run_box("Multitrack - Generate.lua", "asks for 85 BPM; the project is at 100 BPM")
expect(argv_line(#S.argvs):find("--bpm 100 --meter 3/4 --bars 6", 1, true), "project tempo, meter, bars: %s", argv_line(#S.argvs))
expect(#S.tempo == 1 and S.tempo[1].bpm == 100, "No leaves the tempo map as it was")
for _, bpm in ipairs({ 90, 85 }) do -- Yes, twice at the same bar: one marker, changed, never doubled
  S.answers = { "lo-fi " .. bpm .. " bpm\n6\n1" }
  S.box_answers = { 6 }
  run_box("Multitrack - Generate.lua", "asks for " .. bpm .. " BPM")
  expect(argv_line(#S.argvs):find("--bpm " .. bpm .. " --meter 3/4", 1, true), "the prompt's tempo: %s", argv_line(#S.argvs))
end
S.answers = { "lo-fi 85 bpm\n6\n1" }
local tracks_before, markers_before = #S.tracks, #S.markers
run("Multitrack - Generate.lua") -- the project is at 85 now: nothing to ask
local plain = last_record()
expect(plain.files.ambience == nil and #S.tracks == tracks_before + 8, "no ambience: no ambience track (%d new)",
  #S.tracks - tracks_before)
for k = tracks_before + 1, #S.tracks do expect(S.tracks[k].ext.multitrack ~= "audio:ambience", "no ambience track") end
expect(#plain.song.sections == 0 and #S.markers == markers_before + #plain.song.chords, "no sections: chord markers only")
expect(#S.tempo == 1 and S.tempo[1].bpm == 85 and S.tempo[1].num == 3 and near(S.tempo[1].time, sel_start),
  "Yes sets 85 BPM at the selection's bar, in one marker (%d markers)", #S.tempo)
-- a tempo-only marker with a linear ramp stays tempo-only and linear; a new marker sets no
-- time signature (one would start a new measure); a selection from mid-bar starts at its bar
S.tempo = { { time = sel_start, bpm = 100, linear = true } }
S.answers = { "lo-fi 92 bpm\n6\n1" }
S.box_answers = { 6 }
run_box("Multitrack - Generate.lua", "asks for 92 BPM")
expect(#S.tempo == 1 and S.tempo[1].bpm == 92 and S.tempo[1].num == nil and S.tempo[1].linear == true,
  "the marker there keeps its ramp and sets no meter")
S.tempo = {}
S.loop = { sel_start + 1.0, sel_start + 1.0 + 6 * 3 * 60 / 120 } -- from beat 3 of a 3/4 bar at 120
S.answers = { "lo-fi 96 bpm\n6\n1" }
S.box_answers = { 6 }
run_box("Multitrack - Generate.lua", "asks for 96 BPM")
local at = S.tempo[1]
expect(#S.tempo == 1 and at.num == nil and at.den == nil and at.bpm == 96, "a new marker changes the tempo only")
expect(mt.bar_start(S.loop[1]) < S.loop[1] - 0.1 and near(at.time, mt.bar_start(S.loop[1])),
  "the take starts on the bar line (%g), not mid-bar (%g)", at.time, S.loop[1])
S.tempo = {}
-- a tempo change inside the take's bars: asked first; No places nothing
S.loop = { 0.0, 0.0 }
S.cursor = 0.0
S.tempo = { { time = 6.0, bpm = 90 } }
local before_change = #S.tracks
S.answers = { "lofi\n8\n1" }
S.box_answers = { 7 }
run_box("Multitrack - Generate.lua", "changes inside the take")
expect(#S.tracks == before_change, "No: nothing placed over the tempo change")
S.answers = { "lofi\n8\n1" }
S.box_answers = { 6 }
run_box("Multitrack - Generate.lua", "changes inside the take")
expect(#S.tracks == before_change + 8, "Yes: placed anyway")
S.tempo = {}

-- the dialog offers a fresh seed each time: the action run again gives a new take
local seeds = {}
for k = 1, 2 do
  S.answers = {}
  run("Multitrack - Generate.lua") -- cancelled at the dialog
  seeds[k] = S.last_defaults:match("\n([^\n]*)$")
end
expect(seeds[1]:match("^%d+$") and seeds[2]:match("^%d+$") and seeds[1] ~= seeds[2],
  "a fresh seed in the dialog each run: %s, %s", seeds[1], seeds[2])

-- 6. Quoting: what the prompt holds reaches the server exactly, on POSIX and on Windows ------
S.loop = { 0.0, 0.0 }
for _, os_name in ipairs({ "OSX64", "Win64" }) do
  S.os = os_name
  for _, prompt in ipairs({ "80's synth, 中文 🎵", 'a "quoted" prompt \\ back\\slash', "it's \"both\" \\", "c:\\dir\\" }) do
    S.answers = { prompt .. "\n2\n0" }
    S.box_answers = {}
    run("Multitrack - Generate.lua")
    expect(S.argvs[#S.argvs][4] == prompt, "%s argv carries %s (got %s)", os_name, prompt, S.argvs[#S.argvs][4])
    expect(last_record().song.prompt == prompt, "%s: the server got %s", os_name, prompt)
  end
end
S.os = "Other"

-- 7. The lib on its own: JSON, quoting, the prompt's tempo, the API table ---------------------
local v = mt.json_decode('{"a":[1,2.5,-3e2,true,false,null],"s":"\\u4e2d\\ud83c\\udfb5\\n\\"q\\"","o":{}}')
expect(v.a[1] == 1 and v.a[2] == 2.5 and v.a[3] == -300 and v.a[4] == true and v.a[5] == false, "JSON values")
expect(v.a[6] == mt.null and v.s == "中🎵\n\"q\"" and next(v.o) == nil, "JSON strings and null")
for _, bad in ipairs({ "{", '{"a":}', "[1,]", '"open', "01x", "{} x" }) do
  expect(not pcall(mt.json_decode, bad), "bad JSON %s refused", bad)
end
for prompt, bpm in pairs({ ["lo-fi 85 bpm"] = 85, ["每分钟90拍的民谣"] = 90, ["速度 100 的摇滚"] = 100, ["tempo of 72"] = 72,
                           ["♩=60 慢板"] = 60, ["120拍每分钟"] = 120, ["欢快的流行歌"] = false, ["8 bars of rock"] = false,
                           ["速度 100 小节"] = false }) do
  expect(mt.prompt_tempo(prompt) == (bpm or nil), "prompt_tempo(%s) = %s", prompt, tostring(mt.prompt_tempo(prompt)))
end
local a = stub.split_windows('"C:\\Program Files\\mt.exe" "a \\"b\\"" "c:\\dir\\\\" x')
expect(a[1] == "C:\\Program Files\\mt.exe" and a[2] == 'a "b"' and a[3] == "c:\\dir\\" and a[4] == "x", "Windows rules")
a = stub.split_posix([['it"s' "a 'b'" `c "d" 'e'` back\slash]])
expect(a[1] == 'it"s' and a[2] == "a 'b'" and a[3] == [[c "d" 'e']] and a[4] == [[back\slash]], "POSIX rules")
expect(not pcall(function() return reaper.CreateTrackSend end), "a function the stub lacks is refused")
expect(not pcall(function() return reaper.NoSuchFunction end), "a function REAPER lacks is refused")
expect(not pcall(reaper.GetCursorPosition, 0), "a wrong argument count is refused")
local min, max = stub.arity("MIDI_InsertNote")
expect(min == 8 and max == 9, "MIDI_InsertNote takes 8-9 arguments (%d-%d)", min, max)
min, max = stub.arity("EnumProjectMarkers3")
expect(min == 2 and max == 2, "EnumProjectMarkers3's outputs are return values")

print(string.format("ALL OK (%d checks, %d reaper calls)", checks, #S.calls))
