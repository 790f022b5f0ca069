-- @description Multitrack - Regenerate from edited chords
-- @about Reads the notes of the chords MIDI item you edited (the selected one on a
--   "chords (MIDI)" track, else the one under the edit cursor), sends them to the server as
--   chord_notes with `multitrack send regenerate … --wait`, and adds the results to the
--   existing items as new takes, so every earlier take stays one click away. See README.md.

local script_dir = ({ reaper.get_action_context() })[2]:match("^(.*)[/\\]")
local mt = dofile(script_dir .. "/multitrack_lib.lua")

--- The chords item to read: the selected item on any "chords (MIDI)" track (every Generate
--- adds its own), else the one under the edit cursor, else the newest take's.
local function chords_item()
  for i = 0, reaper.CountSelectedMediaItems(0) - 1 do
    local item = reaper.GetSelectedMediaItem(0, i)
    if mt.track_tag(reaper.GetMediaItem_Track(item)) == "midi:chords" then return item end
  end
  local cursor = reaper.GetCursorPosition()
  local fallback = nil
  for _, track in ipairs(mt.tracks_tagged("midi:chords")) do
    for i = 0, reaper.CountTrackMediaItems(track) - 1 do
      local item = reaper.GetTrackMediaItem(track, i)
      local pos = reaper.GetMediaItemInfo_Value(item, "D_POSITION")
      local len = reaper.GetMediaItemInfo_Value(item, "D_LENGTH")
      if cursor >= pos and cursor < pos + len then return item end
      fallback = item
    end
  end
  return fallback
end

--- "pitch start_beat length_beat" triples (quarter notes from the item's start) of the
--- unmuted notes the producer hears: an item trimmed at its start (its take's start offset)
--- or its end plays only the notes inside it, cut at its end.
local function chord_notes(item)
  local take = reaper.GetActiveTake(item)
  local pos = reaper.GetMediaItemInfo_Value(item, "D_POSITION")
  local start_qn = reaper.TimeMap2_timeToQN(0, pos)
  local end_qn = reaper.TimeMap2_timeToQN(0, pos + reaper.GetMediaItemInfo_Value(item, "D_LENGTH")) - start_qn
  local _, count = reaper.MIDI_CountEvts(take)
  local parts = {}
  for i = 0, count - 1 do
    local _, _, muted, on, off, _, pitch = reaper.MIDI_GetNote(take, i)
    if not muted then
      local on_qn = reaper.MIDI_GetProjQNFromPPQPos(take, on) - start_qn
      local off_qn = math.min(reaper.MIDI_GetProjQNFromPPQPos(take, off) - start_qn, end_qn)
      if on_qn >= 0 and off_qn > on_qn then
        parts[#parts + 1] = string.format("%d %.4f %.4f", pitch, on_qn, off_qn - on_qn)
      end
    end
  end
  return table.concat(parts, " "), #parts
end

local function ask()
  local ok, csv = reaper.GetUserInputs("Multitrack: regenerate from edited chords", 3,
    "Keep stems (e.g. drums):,Repaint bars (e.g. 5-8; blank = all):,Seed (blank = same):,separator=\n",
    "\n\n")
  if not ok then return nil end
  return csv:match("^(.-)\n(.-)\n(.-)$")
end

local function main()
  if #mt.tracks_tagged("midi:chords") == 0 then
    return mt.fail({ code = "no_chords_track", message = "No \"chords (MIDI)\" track: run Multitrack - Generate first." })
  end
  local item = chords_item()
  local from_job = item and mt.item_job(item)
  if not from_job then
    return mt.fail({ code = "no_take", message = "Select the edited item on the \"chords (MIDI)\" track." })
  end
  local notes, count = chord_notes(item)
  if count == 0 then
    return mt.fail({ code = "no_notes", message = "The chords item has no notes to read chords from." })
  end
  local keep, repaint, seed = ask()
  if not keep then return end
  local args = { "regenerate", from_job, "--chord-notes", notes, "--wait", "--notes" }
  if keep:match("%S") then args[#args + 1] = "--keep"; args[#args + 1] = keep:gsub("%s", "") end
  if repaint:match("%S") then args[#args + 1] = "--repaint"; args[#args + 1] = repaint:gsub("%s", "") end
  if seed:match("^%s*%d+%s*$") then args[#args + 1] = "--seed"; args[#args + 1] = seed:match("%d+") end
  local record = mt.send(args)
  if not record.ok then return mt.fail(record) end
  local song = record.song
  local num, den = mt.meter(song.meter)
  local _, bar_qn = mt.beat_and_bar_qn(num, den)
  local start = reaper.GetMediaItemInfo_Value(item, "D_POSITION")

  reaper.Undo_BeginBlock()
  reaper.PreventUIRefresh(1)
  -- the results go to the tracks of the take that was edited, as new takes of its items
  for _, stem in ipairs(mt.STEMS) do
    local track, old = mt.take_track("audio:" .. stem, from_job, start)
    track = track or mt.new_track(stem .. " (audio)", "audio:" .. stem)
    if old then
      mt.add_audio_take(old, record.files[stem], record.job, record.take_dir)
    else
      mt.insert_audio(track, record.files[stem], start, record.job, record.take_dir)
    end
  end
  local selected = mt.selected_items() -- the producer's, given back after the implodes
  for _, stem in ipairs(mt.STEMS) do
    local track, old = mt.take_track("midi:" .. stem, from_job, start)
    track = track or mt.new_track(stem .. " (MIDI)", "midi:" .. stem)
    local new = mt.insert_midi(track, record.notes[stem], start, song.bars * bar_qn,
      stem == "drums", record.job, record.take_dir)
    if old then
      -- REAPER has no call that adds an empty MIDI take, so the new item is imploded into the
      -- old one: the result is one item whose takes are the old and the new stem.
      reaper.SelectAllMediaItems(0, false)
      reaper.SetMediaItemSelected(old, true)
      reaper.SetMediaItemSelected(new, true)
      reaper.Main_OnCommand(mt.IMPLODE_TAKES, 0)
      local merged = reaper.GetSelectedMediaItem(0, 0)
      reaper.SetActiveTake(reaper.GetTake(merged, reaper.GetMediaItemNumTakes(merged) - 1))
    end
  end
  mt.select_items(selected)
  mt.place_ambience(record, start, from_job)
  mt.remove_own_markers(start, mt.time_after(start, song.bars * bar_qn))
  mt.add_section_markers(start, song, record.job)
  mt.add_chord_markers(start, song, record.job)
  reaper.SetProjExtState(0, mt.SECTION, "last_job", record.job)
  reaper.PreventUIRefresh(-1)
  reaper.UpdateArrange()
  reaper.Undo_EndBlock("Multitrack: regenerate " .. record.job .. " from " .. from_job, -1)
end

main()
