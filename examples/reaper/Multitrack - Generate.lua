-- @description Multitrack - Generate: four stems from a prompt at the edit cursor's bar
-- @about Asks for a prompt (Chinese or English), runs `multitrack send generate … --wait`
--   against a running `multitrack serve`, sets the tempo and time signature at the edit
--   cursor's bar, puts the four WAVs on new named tracks and the four stems' MIDI on their own
--   tracks, and adds the chord symbols as project markers. See README.md.

local script_dir = ({ reaper.get_action_context() })[2]:match("^(.*)[/\\]")
local mt = dofile(script_dir .. "/multitrack_lib.lua")

local function ask()
  local last = mt.setting("last_prompt", "欢快的流行歌, 8 bars")
  local ok, csv = reaper.GetUserInputs("Multitrack: generate", 3,
    "Prompt (中文 / English):,Bars (1-64; blank = from the prompt):,Seed:,extrawidth=360,separator=\n",
    last .. "\n\n0")
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
  local prompt, bars, seed = ask()
  if not prompt then return end
  local args = { "generate", prompt, "--wait", "--notes" }
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
  local num, den = mt.meter(song.meter)
  local _, bar_qn = mt.beat_and_bar_qn(num, den)

  reaper.Undo_BeginBlock()
  reaper.PreventUIRefresh(1)
  local start = mt.cursor_bar_start()
  mt.set_tempo(start, song)
  for _, stem in ipairs(mt.STEMS) do
    local track = mt.new_track(stem .. " (audio)", "audio:" .. stem)
    mt.insert_audio(track, record.files[stem], start, record.job, record.take_dir)
  end
  for _, stem in ipairs(mt.STEMS) do
    local track = mt.new_track(stem .. " (MIDI)", "midi:" .. stem)
    mt.insert_midi(track, record.notes[stem], start, song.bars * bar_qn, stem == "drums",
      record.job, record.take_dir)
  end
  mt.add_chord_markers(start, song)
  reaper.SetProjExtState(0, mt.SECTION, "last_job", record.job)
  reaper.PreventUIRefresh(-1)
  reaper.UpdateArrange()
  reaper.Undo_EndBlock("Multitrack: generate " .. record.job, -1)
end

main()
