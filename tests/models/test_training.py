"""Training: the recipe end to end on a tiny config, resuming, and two DDP ranks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.config import ModelConfig
from models.grooves import RhythmBook
from models.training import TrainConfig, Trainer, weighted_mean


def test_checkpoint_loads_weights_only_with_its_config(tiny_checkpoint: Path) -> None:
    payload = torch.load(tiny_checkpoint, weights_only=True)
    assert payload["config"]["version"] == "multitrack-ldm-tiny"
    model = load_checkpoint(tiny_checkpoint)
    assert model.config == ModelConfig.tiny()
    assert model.meta["ae_steps"] == 3 and model.meta["diffusion_steps"] == 3
    # latent statistics were fitted, not left at the identity
    assert bool((model.autoencoder.latent_std != 1).any())
    # what the conditioning needs to know of the training data (models.conditioning,
    # models.pipeline): the programs each stem played, the share of each style with drums
    seen = model.meta["programs_seen"]
    assert set(seen) == {"melody", "chords", "bass"} and all(seen.values())
    shares = model.meta["drums_by_style"]
    assert shares and all(0.0 <= v <= 1.0 for v in shares.values())
    # and each style's comping strikes and bass notes a bar (models.aims.BandAims.density)
    density = model.meta["density_by_style"]
    assert set(density) <= set(shares) and density
    assert all(0.0 < v for means in density.values() for v in means.values())
    by_meter = model.meta["density_by_meter"]  # and in each meter with enough windows
    assert all(key.split(" ")[0] in density for key in by_meter)
    # and as few drum hits a bar as its drummers play (models.telling.Telling.drum_floor)
    floors = model.meta["drum_floors"]
    assert all(key.split(" ")[0] in {*shares, "*"} and v >= 0 for key, v in floors.items())
    # and each style's commonest comping rhythms a meter, and every style's
    # (models.grooves.RhythmBook)
    for name in ("comping_rhythms", "bass_rhythms"):  # the bass's too (models.decoding)
        books = model.meta[name]
        assert any(key.startswith("* ") for key in books)
    for entries in [*model.meta["comping_rhythms"].values(), *books.values()]:
        book = RhythmBook.from_meta(entries)
        shares = list(book.shares)
        assert book.rhythms and shares == sorted(shares, reverse=True) and sum(shares) <= 1.0


def test_store_meta_adds_entries_and_leaves_the_weights(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    from models.checkpoint import store_meta

    copy = tmp_path / "multitrack.pt"
    copy.write_bytes(tiny_checkpoint.read_bytes())
    store_meta(copy, drums_by_style={"lullaby": 0.0})
    before, after = load_checkpoint(tiny_checkpoint), load_checkpoint(copy)
    assert after.meta["drums_by_style"] == {"lullaby": 0.0}
    assert after.meta["diffusion_steps"] == before.meta["diffusion_steps"]
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            before.denoiser.state_dict().values(), after.denoiser.state_dict().values(), strict=True
        )
    )


def test_training_resumes_from_saved_state(tiny_checkpoint: Path) -> None:
    run = tiny_checkpoint.parent / "run"
    trainer = Trainer(ModelConfig.tiny(), TrainConfig(ae_steps=3, diffusion_steps=3), run)
    assert (trainer.step_ae, trainer.step_den) == (3, 3)
    lines = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    assert {r["stage"] for r in lines} == {"ae", "diffusion"}
    diffusion = [r for r in lines if r["stage"] == "diffusion"]
    # each stem's own loss is logged beside the (weighted) total
    assert all(r[s] >= 0 for r in diffusion for s in ("melody", "chords", "bass", "drums"))


def test_melody_weight_counts_the_melody_channels_that_many_times() -> None:
    weight = torch.ones(1, 32, 4)
    err = torch.zeros(1, 32, 4)
    err[:, :8] = 1.0  # only the first stem's channels miss
    channels = torch.ones(1, 32, 1)
    assert float(weighted_mean(err, weight)) == pytest.approx(8 / 32)
    channels[:, :8] = 3.0
    assert float(weighted_mean(err, weight, channels)) == pytest.approx(24 / (24 + 24))


def test_two_ddp_steps_under_torchrun(tiny_corpus: Path, tmp_path: Path) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        str(torchrun), "--nproc_per_node", "2", "--master_port", "29533", "-m", "bridge.cli",
        "train", "--tiny", "--corpus", str(tiny_corpus), "--out", str(tmp_path / "out"),
        "--run-dir", str(tmp_path / "run"), "--ae-steps", "2", "--diffusion-steps", "2",
        "--batch", "2", "--no-bf16",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    model = load_checkpoint(tmp_path / "out" / "multitrack.pt")
    assert model.meta["world_size"] == 2
    assert model.meta["diffusion_steps"] == 2


def test_checkpoints_before_0_3_read_as_the_tonic_frame() -> None:
    data = ModelConfig().to_dict()
    assert data["key_frame"] == "signature"
    del data["key_frame"]  # what a 0.1 / 0.2 checkpoint holds
    assert ModelConfig.from_dict(data).key_frame == "tonic"


def test_a_checkpoint_in_an_unknown_frame_is_a_checkpoint_error(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    from models.checkpoint import CheckpointError

    payload = torch.load(tiny_checkpoint, weights_only=True)
    payload["config"]["key_frame"] = "dominant"
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match="unknown key frame 'dominant'"):
        load_checkpoint(bad)


def test_an_array_cache_in_another_frame_is_re_encoded(tiny_corpus: Path, tmp_path: Path) -> None:
    from models.dataset import load_training_arrays

    cache = tmp_path / "arrays.npz"
    tonic = load_training_arrays(tiny_corpus, "train", cache, "tonic")
    assert load_training_arrays(tiny_corpus, "train", cache, "tonic").key_frame == "tonic"
    signature = load_training_arrays(tiny_corpus, "train", cache, "signature")
    assert signature.key_frame == "signature" and len(signature) == len(tonic)
    assert load_training_arrays(tiny_corpus, "train", cache, "signature").key_frame == "signature"


def test_an_array_cache_of_another_corpus_or_share_is_re_encoded(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    # a run folder reused with another corpus used to train on the old corpus's windows
    import shutil

    from models.dataset import load_training_arrays
    from multitrack.corpus.store import ShardWriter, iter_examples, write_json_atomic

    examples = list(iter_examples(tiny_corpus, "train"))

    def corpus(folder: Path, n: int) -> Path:
        shutil.rmtree(folder, ignore_errors=True)
        writer = ShardWriter(folder / "train", size=8)
        for ex in examples[:n]:
            writer.add(ex)
        writer.flush()
        write_json_atomic(folder / "manifest.json", {"format": "multitrack.corpus/1", "windows": n})
        return folder

    def fresh(folder: Path) -> int:  # its windows, read without a cache
        return len(load_training_arrays(folder, "train", tmp_path / f"{folder.name}-fresh.npz"))

    cache = tmp_path / "arrays.npz"
    full = len(load_training_arrays(tiny_corpus, "train", cache))
    other = corpus(tmp_path / "other", 3)
    few = fresh(other)
    assert len(load_training_arrays(other, "train", cache)) == few < full
    assert len(load_training_arrays(tiny_corpus, "train", cache)) == full
    assert len(load_training_arrays(tiny_corpus, "train", cache, share=0.3)) < full
    assert len(load_training_arrays(other, "train", cache)) == few
    corpus(other, len(examples))  # rebuilt in place: a new manifest
    assert len(load_training_arrays(other, "train", cache)) == full


def test_mode_balance_evens_out_the_modes_draws() -> None:
    import numpy as np

    from models.training import mode_weights

    modes = np.array([1] * 90 + [2] * 10)  # 90% major, 10% minor
    uniform = mode_weights(modes, 0.0)
    assert np.allclose(uniform, 0.01)
    sqrt = mode_weights(modes, 0.5)
    assert np.isclose(sqrt[modes == 2].sum(), np.sqrt(10) / (np.sqrt(10) + np.sqrt(90)))
    even = mode_weights(modes, 1.0)
    assert np.isclose(even[modes == 2].sum(), 0.5) and np.isclose(even.sum(), 1.0)
    # styles balanced too, multiplied in: 80 celtic windows and 20 pop, across the modes
    styles = np.array([3] * 80 + [7] * 20)
    both = mode_weights(modes, 0.0, (styles, 1.0))
    assert np.isclose(both[styles == 7].sum(), 0.5) and np.isclose(both.sum(), 1.0)
    assert np.allclose(mode_weights(modes, 0.5, (styles, 0.0)), sqrt)


def test_train_refuses_a_mode_balance_outside_0_1(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge.cli import main

    args = ["train", "--tiny", "--corpus", str(tiny_corpus), "--run-dir", str(tmp_path / "run")]
    assert main([*args, "--mode-balance", "1.5"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["multitrack: error: --mode-balance must be between 0 and 1"]
    for kernel in ("4", "-1"):
        assert main([*args, "--local-kernel", kernel]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err == ["multitrack: error: --local-kernel must be 0 or an odd number up to 15"]
    assert not (tmp_path / "run").exists()


def test_decoder_tuning_keeps_the_encoders_and_its_decoders_can_be_taken(
    tiny_corpus: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    from models.recipe import run_training

    before = load_checkpoint(tiny_checkpoint).autoencoder.state_dict()
    tuned = run_training(
        tiny_corpus,
        tmp_path / "out",
        model_cfg=ModelConfig.tiny(),
        train_cfg=TrainConfig(
            ae_steps=1, diffusion_steps=0, decoder_steps=3, batch=4, ae_batch=4, bf16=False
        ),
        run_dir=tmp_path / "run",
        init_from=tiny_checkpoint,
    )
    after = load_checkpoint(tuned).autoencoder.state_dict()
    encoders = [k for k in before if k.startswith("encoders.")]
    decoders = [k for k in before if k.startswith("decoders.") and before[k].is_floating_point()]
    assert all(torch.equal(before[k], after[k]) for k in encoders)
    assert any(not torch.equal(before[k], after[k]) for k in decoders)
    # a run on the same encoders takes the tuned decoders; other encoders are refused
    trainer = Trainer(ModelConfig.tiny(), TrainConfig(bf16=False), tmp_path / "other")
    with pytest.raises(ValueError, match="other encoders"):
        trainer.take_decoders(tuned)
    trainer.init_from(tiny_checkpoint)
    trainer.take_decoders(tuned)
    mine = trainer.ae.state_dict()
    assert all(torch.equal(mine[k], after[k].float()) for k in decoders)
    # the pitch reader is the melody decoder as autoencoder training left it: tuning leaves
    # it where it was, and a run taking another's decoders takes its reader too
    reader = [k for k in before if k.startswith("pitch_reader.")]
    assert reader and all(torch.equal(before[k], after[k]) for k in reader)
    assert all(
        torch.equal(before[k], before["decoders.melody." + k[len("pitch_reader.") :]])
        for k in reader
    )
    assert any(
        not torch.equal(after[k], after["decoders.melody." + k[len("pitch_reader.") :]])
        for k in reader
        if after[k].is_floating_point()
    )
    assert all(torch.equal(mine[k], after[k].float()) for k in reader)


def test_a_checkpoint_without_a_pitch_reader_reads_as_before_and_starts_one_from_its_melody(
    tmp_path: Path,
) -> None:
    import dataclasses

    from models.checkpoint import build, save_checkpoint

    old_cfg = ModelConfig.tiny()
    old_cfg = dataclasses.replace(
        old_cfg, autoencoder=dataclasses.replace(old_cfg.autoencoder, pitch_reader=False)
    )
    data = old_cfg.to_dict()
    del data["autoencoder"]["pitch_reader"]  # as configs were saved before session 14
    assert not ModelConfig.from_dict(data).autoencoder.pitch_reader
    torch.manual_seed(0)
    ae, den = build(old_cfg)
    assert ae.pitch_reader is None
    latent = torch.randn(1, ae.latent_channels, 4)
    plain = ae.decode(latent)["melody"]
    path = tmp_path / "old.pt"
    save_checkpoint(path, old_cfg, ae, den)
    trainer = Trainer(ModelConfig.tiny(), TrainConfig(bf16=False), tmp_path / "run")
    trainer.init_from(path)
    assert trainer.ae.pitch_reader is not None
    mel = trainer.ae.decoders["melody"].state_dict()
    assert all(torch.equal(v, mel[k]) for k, v in trainer.ae.pitch_reader.state_dict().items())
    # reading its own melody's pitches, the decoder gives the same notes as without a reader
    both = trainer.ae.decode(latent)["melody"]
    rows = plain.shape[1] - 2
    same = torch.log_softmax(plain[:, : rows + 1], dim=1)
    assert torch.allclose(both[:, : rows + 1], same, atol=1e-5)
    assert torch.equal(both[:, rows + 1 :], plain[:, rows + 1 :])


def test_a_denoiser_without_the_local_mix_starts_where_it_was_and_padding_is_not_read() -> None:
    from dataclasses import replace

    from models.conditioning import Condition, collate
    from models.denoiser import Denoiser

    cfg = replace(ModelConfig.tiny().denoiser, local_kernel=5)
    old = Denoiser(replace(cfg, local_kernel=0), latent_channels=4).eval()
    new = Denoiser(cfg, latent_channels=4).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert not unexpected and missing and all(".local." in k for k in missing)
    torch.manual_seed(0)
    for p in old.parameters():  # leave the zero-initialised gates' start behind
        p.data.normal_(0, 0.2)
    new.load_state_dict(old.state_dict(), strict=False)
    x, known = torch.randn(2, 4, 16), torch.randn(2, 4, 16)
    mask, fpb = torch.zeros(2, 4, 16), torch.tensor([4, 4])
    cond = collate([Condition(), Condition(style="rock")], text_dim=cfg.text_dim, frames=16)
    args = dict(known=known, mask=mask, frames_per_bar=fpb)
    t = torch.tensor([10, 500])
    with torch.no_grad():
        assert torch.allclose(old(x, t, cond, **args), new(x, t, cond, **args), atol=1e-6)
        for p in new.parameters():
            p.data.normal_(0, 0.2)
        # a take padded to 16 frames reads its 12 real frames as it reads them unpadded
        fm = torch.ones(2, 16)
        fm[:, 12:] = 0
        padded = x.clone()
        padded[:, :, 12:] = 100.0
        short = {k: v[:, :, :12] if k != "frames_per_bar" else v for k, v in args.items()}
        cut = new(x[:, :, :12], t, cond, **short)[:, :, :12]
        assert torch.allclose(
            cut, new(padded, t, cond, **args, frame_mask=fm)[:, :, :12], atol=1e-4
        )


def test_the_phrase_mix_reads_whole_bars_away_starts_at_zero_and_skips_padding() -> None:
    from dataclasses import replace

    from models.conditioning import Condition, collate
    from models.denoiser import Denoiser, PhraseMix

    mix = PhraseMix(8, (2, 4))
    for p in mix.parameters():
        p.data.normal_(0, 0.5)
    frames = torch.randn(2, 32, 8)
    fm, fpb = torch.ones(2, 32), torch.tensor([4, 3])
    moved = frames.clone()
    moved[:, 20] += torch.randn(8)
    with torch.no_grad():
        changed = (mix(moved, fm, fpb) - mix(frames, fm, fpb)).abs().sum(-1) > 1e-6
    # 4 frames a bar: frame 20 is read from 2 and 4 bars away (12, 28, 4) and by itself
    assert changed[0].nonzero().flatten().tolist() == [4, 12, 20, 28]
    assert changed[1].nonzero().flatten().tolist() == [8, 14, 20, 26]  # 3 frames a bar
    fm[:, 20] = 0  # a padded frame is not read
    with torch.no_grad():
        assert torch.equal(mix(moved, fm, fpb), mix(frames, fm, fpb))

    cfg = replace(ModelConfig.tiny().denoiser, phrase_bars=(1, 4))
    old = Denoiser(replace(cfg, phrase_bars=()), latent_channels=4).eval()
    new = Denoiser(cfg, latent_channels=4).eval()
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    assert not unexpected and missing and all(".phrase." in k for k in missing)
    torch.manual_seed(0)
    for p in old.parameters():
        p.data.normal_(0, 0.2)
    new.load_state_dict(old.state_dict(), strict=False)
    x, known = torch.randn(2, 4, 16), torch.randn(2, 4, 16)
    cond = collate([Condition(), Condition(style="rock")], text_dim=cfg.text_dim, frames=16)
    args = dict(known=known, mask=torch.zeros(2, 4, 16), frames_per_bar=torch.tensor([4, 4]))
    t = torch.tensor([10, 500])
    with torch.no_grad():
        assert torch.allclose(old(x, t, cond, **args), new(x, t, cond, **args), atol=1e-6)


def test_a_config_with_the_phrase_mix_survives_its_json(tmp_path: Path) -> None:
    import json
    from dataclasses import replace

    cfg = ModelConfig.tiny()
    cfg = replace(cfg, denoiser=replace(cfg.denoiser, phrase_bars=(1, 2, 4)))
    assert ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    saved = cfg.to_dict()
    del saved["denoiser"]["phrase_bars"]  # saved before the phrase mix
    assert ModelConfig.from_dict(saved).denoiser.phrase_bars == ()


@pytest.mark.parametrize("bars", ["0", "1,1", "x", "17", "2,-1"])
def test_train_refuses_bad_phrase_bars(
    bars: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text("{}")
    assert main(["train", "--corpus", str(corpus), "--phrase-bars", bars]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["multitrack: error: --phrase-bars must be distinct bar offsets 1-16, e.g. 1,2,4"]


def test_the_layers_a_checkpoint_lacks_learn_at_their_own_rate_and_keep_it_on_resume(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    cfg = ModelConfig.tiny()
    cfg = replace(cfg, denoiser=replace(cfg.denoiser, phrase_bars=(1, 2)))
    train = TrainConfig(ae_steps=3, diffusion_steps=3, new_layer_lr=5.0)
    trainer = Trainer(cfg, train, tmp_path / "run")
    assert len(trainer.opt_den.param_groups) == 1  # from scratch every layer is new alike
    trainer.init_from(tiny_checkpoint)
    old, new = trainer.opt_den.param_groups
    assert (old["scale"], new["scale"]) == (1.0, 5.0)
    names = {id(p): n for n, p in trainer.den.named_parameters()}
    # the phrase mix is what the checkpoint lacks; its chord and section tracks it has
    assert {names[id(p)] for p in new["params"]} == set(trainer.new_layers)
    assert trainer.new_layers and all(".phrase." in n for n in trainer.new_layers)
    assert any(names[id(p)].startswith("track_") for p in old["params"])
    trainer.save()
    resumed = Trainer(cfg, train, tmp_path / "run")
    assert resumed.new_layers == trainer.new_layers
    assert [g["scale"] for g in resumed.opt_den.param_groups] == [1.0, 5.0]


def test_train_refuses_a_new_layer_rate_outside_its_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text("{}")
    assert main(["train", "--corpus", str(corpus), "--new-layer-lr", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["multitrack: error: --new-layer-lr must be above 0 and at most 100"]


def test_a_checkpoint_borrows_a_pitch_reader_only_from_one_with_its_encoders(
    tiny_checkpoint: Path, tiny_corpus: Path, tmp_path: Path
) -> None:
    from models.checkpoint import build, save_checkpoint
    from models.prior import DEGREES
    from models.reader import with_reader

    payload = with_reader(tiny_checkpoint, tiny_checkpoint, tiny_corpus)
    ae = payload["autoencoder"]
    assert payload["config"]["autoencoder"]["pitch_reader"]
    assert all(torch.equal(ae["pitch_reader." + k[16:]], v) for k, v in ae.items()
               if k.startswith("decoders.melody."))  # fmt: skip
    assert not any(k.endswith(DEGREES) for k in payload["priors"])
    torch.manual_seed(1)
    stranger = tmp_path / "stranger.pt"
    save_checkpoint(stranger, ModelConfig.tiny(), *build(ModelConfig.tiny()))
    with pytest.raises(ValueError, match="other encoders"):
        with_reader(tiny_checkpoint, stranger, tiny_corpus)


def test_train_feel_gives_the_denoiser_the_feel_track_and_trains_it(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    # `multitrack train --feel`: the checkpoint's denoiser reads all eight track rows, and the
    # feel rows' embeddings, which start at zero, have learnt something
    from bridge.cli import main

    out = tmp_path / "out"
    args = ["train", "--tiny", "--feel", "--corpus", str(tiny_corpus), "--out", str(out),
            "--run-dir", str(tmp_path / "run"), "--ae-steps", "2", "--diffusion-steps", "3",
            "--decoder-steps", "0", "--threads", "1"]  # fmt: skip
    assert main(args) == 0
    model = load_checkpoint(out / "multitrack.pt")
    assert model.config.denoiser.feel and len(model.denoiser.track_emb) == 8
    state = torch.load(tmp_path / "run" / "state.pt", weights_only=True)  # float32
    assert state["denoiser"]["track_emb.6.weight"].abs().sum() > 0


def test_a_model_fine_tuned_on_a_library_keeps_what_its_base_knew(
    tiny_corpus: Path, tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``multitrack prepare`` a one-file library labelled jazz, ``multitrack train
    --init-from`` the base: the fine-tuned checkpoint knows the library's style and keeps
    every table of the base's for the styles the library lacks, decodes with the base's
    note-to-note tables mixed with the library's, and guards against copying both."""
    import numpy as np

    from bridge.cli import main
    from models.guard import GUARD_FILE
    from models.pipeline import Pipeline
    from models.request import GenerateRequest
    from multitrack.example import example_song
    from multitrack.midi_io import write_midi

    (tmp_path / "lib").mkdir()
    write_midi(example_song(), tmp_path / "lib" / "mine.mid")
    lib = tmp_path / "corpus"
    assert main(["prepare", str(tmp_path / "lib"), "--out", str(lib), "--style", "jazz",
                 "--processes", "1"]) == 0  # fmt: skip
    out = tmp_path / "model"
    train = ["train", "--tiny", "--corpus", str(lib), "--run-dir", str(tmp_path / "run"),
             "--diffusion-steps", "2", "--batch", "4", "--no-bf16", "--no-replay",
             "--out", str(out)]  # fmt: skip
    assert main([*train, "--init-from", str(tiny_checkpoint)]) == 0
    base, tuned = load_checkpoint(tiny_checkpoint), load_checkpoint(out / "multitrack.pt")
    assert "pop" in base.meta["drums_by_style"] and "jazz" not in base.meta["drums_by_style"]
    from models.finetune import KEYED_FACTS

    for table in KEYED_FACTS:  # drum shares, densities, grooves, voicing, drum floors
        assert set(tuned.meta[table]) >= set(base.meta[table]), table
    assert "jazz" in tuned.meta["density_by_style"] and "jazz" in tuned.meta["drums_by_style"]
    assert tuned.meta["density_by_style"]["pop"] == base.meta["density_by_style"]["pop"]
    for stem, programs in base.meta["programs_seen"].items():
        assert set(programs) <= set(tuned.meta["programs_seen"][stem])
    assert tuned.meta["base"]["corpus"] == base.meta["corpus"]
    assert tuned.config.version == f"{base.config.version}+corpus"  # what song.json names
    assert set(tuned.priors) >= set(base.priors)
    moved = [k for k in base.priors if not np.allclose(base.priors[k], tuned.priors[k])]
    assert moved and all(np.isfinite(t).all() for t in tuned.priors.values())
    guard, own = np.load(out / GUARD_FILE), np.load(tiny_checkpoint.parent / GUARD_FILE)
    assert set(own.tolist()) <= set(guard.tolist())
    take = Pipeline.load(out / "multitrack.pt", candidates=1).generate(
        GenerateRequest("jazz in C", bars=4, seed=1, steps=2)
    )
    assert take.song.bars == 4 and take.song.style == "jazz"
    capsys.readouterr()
    # what is not a checkpoint, or one of another size, is refused in a line
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    again = [*train[:5], str(tmp_path / "run2"), *train[6:]]
    assert main([*again, "--init-from", str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "is not a Multitrack checkpoint" in err.splitlines()[-1]
    assert main([a for a in again if a != "--tiny"] + ["--init-from", str(tiny_checkpoint)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "does not fit the model being trained" in err.splitlines()[-1]
    # a run folder resumes only the run it was started for
    other = [*train[:3], str(tiny_corpus), *train[4:]]
    assert main([*other, "--init-from", str(tiny_checkpoint)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{tmp_path / 'run'} holds a run on" in err
    # a --replay that is not a corpus is refused before anything is encoded
    rehearsing = [a for a in again if a != "--no-replay"]
    assert main([*rehearsing, "--init-from", str(tiny_checkpoint), "--replay", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"multitrack: error: --replay: {tmp_path} is not a built corpus (no manifest.json)"
    ]
    # the model it starts from is never written over
    over = [*again[:-1], str(tiny_checkpoint.parent), "--init-from", str(tiny_checkpoint)]
    assert main(over) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "would overwrite the checkpoint --init-from starts from" in err[0]
    # a corpus with nothing in its training split is refused, not a traceback
    empty = tmp_path / "held-out-only"
    (empty / "train").mkdir(parents=True)
    (empty / "manifest.json").write_text((lib / "manifest.json").read_text())
    assert main(["train", "--tiny", "--corpus", str(empty), "--run-dir", str(tmp_path / "r3"),
                 "--diffusion-steps", "1", "--out", str(tmp_path / "m3")]) == 2  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no windows in its training split" in err[0]


def test_a_fine_tune_left_unsaid_rehearses_the_built_corpus_for_passes_over_its_library(
    tiny_corpus: Path,
    tiny_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridge.cli import main
    from models.finetune import FINE_TUNE_LR, fine_tune_steps
    from multitrack.example import example_song
    from multitrack.midi_io import write_midi

    # about 60 passes over the library rehearsing the corpus half the time, 25 alone
    assert fine_tune_steps(249, 64, 0.5) == 467 and fine_tune_steps(249, 64, 0.0) == 97
    assert fine_tune_steps(3, 64, 0.5) == 50 and fine_tune_steps(10**6, 64, 0.5) == 4000
    (tmp_path / "lib").mkdir()
    write_midi(example_song(), tmp_path / "lib" / "mine.mid")
    lib = tmp_path / "corpus"
    assert main(["prepare", str(tmp_path / "lib"), "--out", str(lib), "--processes", "1"]) == 0
    monkeypatch.setattr("bridge.commands.train.DEFAULT_REPLAY", tiny_corpus)  # "data/corpus"
    out = tmp_path / "model"
    capsys.readouterr()
    args = ["train", "--tiny", "--corpus", str(lib), "--run-dir", str(tmp_path / "run"),
            "--batch", "4", "--no-bf16", "--out", str(out), "--init-from", str(tiny_checkpoint)]  # fmt: skip
    assert main(args) == 0
    steps = fine_tune_steps(3, 4, 0.5)
    assert f"for {steps} steps at lr {FINE_TUNE_LR:g}, rehearsing {tiny_corpus}" in (
        capsys.readouterr().err
    )
    tuned = load_checkpoint(out / "multitrack.pt")
    assert tuned.meta["diffusion_steps"] == steps
    assert tuned.meta["replay"]["share"] == 0.5
    assert (tmp_path / "run" / "replay_arrays.npz").is_file()  # the corpus's windows, encoded


def test_a_fine_tune_with_no_corpus_built_rehearses_its_base_s_own_takes(
    tiny_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridge.cli import main
    from multitrack.corpus.store import read_corpus, read_manifest
    from multitrack.example import example_song
    from multitrack.midi_io import write_midi

    (tmp_path / "lib").mkdir()
    write_midi(example_song(), tmp_path / "lib" / "mine.mid")
    lib = tmp_path / "corpus"
    assert main(["prepare", str(tmp_path / "lib"), "--out", str(lib), "--processes", "1"]) == 0
    monkeypatch.setattr("bridge.commands.train.DEFAULT_REPLAY", tmp_path / "not-built")
    monkeypatch.setattr("models.finetune.SELF_TAKES", 2)
    capsys.readouterr()
    run = tmp_path / "run"
    args = ["train", "--tiny", "--corpus", str(lib), "--run-dir", str(run), "--batch", "4",
            "--no-bf16", "--out", str(tmp_path / "model"), "--init-from", str(tiny_checkpoint),
            "--diffusion-steps", "3"]  # fmt: skip
    assert main(args) == 0
    assert "rehearsing its own takes" in capsys.readouterr().err
    # the base knows one style (pop): two 8-bar takes of it, cut as a library is
    rehearsal = read_corpus(run / "rehearsal", "train")
    assert read_manifest(run / "rehearsal")["windows"] == len(rehearsal) == 2 * 3
    assert {ex.song.style for ex in rehearsal} == {"pop"}
    assert {ex.song.bars for ex in rehearsal} == {4, 8}
    assert all(len(ex.captions) == 3 for ex in rehearsal)
    assert (run / "replay_arrays.npz").is_file()
    assert load_checkpoint(tmp_path / "model" / "multitrack.pt").meta["replay"]["share"] == 0.5
