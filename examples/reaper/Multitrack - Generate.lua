-- @description Multitrack - Generate: four stems from a prompt, fitted to the project
-- @about Asks for a prompt (Chinese or English), runs `multitrack send generate … --wait`
--   against a running `multitrack serve`, and puts the four WAVs and the four stems' MIDI on
--   new named tracks at the time selection (else the edit cursor's bar), the take's
--   ambience.wav (when the prompt asked for rain, birds ...) on an `ambience (audio)` track,
--   and the song's sections ("Verse 1", "Chorus 1") and chord symbols as project markers.
--   The take is made at the project's tempo and time signature, as long as the time
--   selection; the project's tempo changes only when the prompt names a tempo and you say
--   yes. See README.md.

local script_dir = ({ reaper.get_action_context() })[2]:match("^(.*)[/\\]")
local mt = dofile(script_dir .. "/multitrack_lib.lua")

local METERS = { ["4/4"] = true, ["3/4"] = true, ["2/4"] = true, ["6/8"] = true }
local YES, NO = 6, 7

local function ask(default_bars)
  local last = mt.setting("last_prompt", "欢快的流行歌")
  -- a fresh seed each time, shown and editable: running the action again gives a new take
  -- (a fixed default gave the same take for the same prompt); song.json records it
  math.randomseed(os.time(), math.floor(os.clock() * 1e6))
  local ok, csv = reaper.GetUserInputs("Multitrack: generate", 3,
    "Prompt (中文 / English):,Bars (1-64; blank = from the prompt):,Seed:,extrawidth=360,separator=\n",
    last .. "\n" .. default_bars .. "\n" .. math.random(0, 999999))
  if not ok then return nil end
  local prompt, bars, seed = csv:match("^(.-)\n(.-)\n(.-)$")
  if not prompt or not prompt:match("%S") then
    reaper.ShowMessageBox("Type a prompt, e.g. 一段舒缓的古筝独奏 or 'lo-fi hip hop in A minor'.",
      "Multitrack", 0)
    return nil
  end
  reaper.SetExtState(mt.SECTION, "last_prompt", prompt, true)
  return prompt, bars, seed
end

local function main()
  local sel_from, sel_to = mt.time_selection()
  local start = sel_from and mt.bar_start(sel_from) or mt.cursor_bar_start()
  local num, den, bpm = mt.project_at(start)
  local prompt, bars, seed = ask(sel_from and tostring(mt.bars_between(sel_from, sel_to)) or "")
  if not prompt then return end
  local named = mt.prompt_tempo(prompt)
  local change_tempo = false
  if named and math.abs(named - bpm) > 0.005 then
    local answer = reaper.ShowMessageBox(string.format(
      "The prompt asks for %g BPM; the project is at %g BPM here.\n\nYes: set the project to %g BPM at this bar.\n"
      .. "No: make the take at %g BPM and leave the project as it is.", named, bpm, named, bpm), "Multitrack", 3)
    if answer ~= YES and answer ~= NO then return end
    change_tempo = answer == YES
  end
  local args = { "generate", prompt, "--wait", "--notes", "--bpm", string.format("%g", change_tempo and named or bpm) }
  if METERS[num .. "/" .. den] then
    args[#args + 1] = "--meter"
    args[#args + 1] = num .. "/" .. den
  end
  if bars:match("^%s*%d+%s*$") then
    args[#args + 1] = "--bars"
    args[#args + 1] = bars:match("%d+")
  end
  if seed:match("^%s*%d+%s*$") then
    args[#args + 1] = "--seed"
    args[#args + 1] = seed:match("%d+")
  end
  local record = mt.send(args)
  if not record.ok then return mt.fail(record) end
  local song = record.song
  local snum, sden = mt.meter(song.meter)
  local _, bar_qn = mt.beat_and_bar_qn(snum, sden)
  local finish = start + song.bars * bar_qn * 60 / song.tempo
  if mt.tempo_changes_between(start, finish) then
    local answer = reaper.ShowMessageBox(string.format(
      "The project's tempo or time signature changes inside the take's %d bars. The take is one "
      .. "tempo (%g BPM) and meter (%s): after the change its audio and MIDI leave the grid.\n\n"
      .. "Yes: place it anyway. No: place nothing (the take stays in %s).",
      song.bars, song.tempo, song.meter, record.take_dir), "Multitrack", 4)
    if answer ~= YES then return end
  end

  reaper.Undo_BeginBlock()
  reaper.PreventUIRefresh(1)
  if change_tempo then mt.set_tempo(start, song.tempo) end
  for _, stem in ipairs(mt.STEMS) do
    local track = mt.new_track(stem .. " (audio)", "audio:" .. stem)
    mt.insert_audio(track, record.files[stem], start, record.job, record.take_dir)
  end
  for _, stem in ipairs(mt.STEMS) do
    local track = mt.new_track(stem .. " (MIDI)", "midi:" .. stem)
    mt.insert_midi(track, record.notes[stem], start, song.bars * bar_qn, stem == "drums",
      record.job, record.take_dir)
  end
  mt.place_ambience(record, start)
  mt.add_section_markers(start, song, record.job)
  mt.add_chord_markers(start, song, record.job)
  reaper.SetProjExtState(0, mt.SECTION, "last_job", record.job)
  reaper.PreventUIRefresh(-1)
  reaper.UpdateArrange()
  reaper.Undo_EndBlock("Multitrack: generate " .. record.job, -1)
end

main()
