"""Resume after SIGKILL, several seeds and a two-process torchrun."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stancelab.config import load_config
from stancelab.data.io import InputError
from stancelab.train.run import train_seeds

from conftest import example_rows

FAST = ["eval.baselines=[]"]


def _run_cli(args: list[str], cwd: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "stancelab.train", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_sigkill_then_rerun_resumes_from_last_checkpoint(tiny_config_file, tmp_path, pooling):
    # enough epochs that a tiny model cannot finish between its first checkpoint and the kill, even when
    # the polling process is descheduled on a loaded machine (60 epochs did finish there, once)
    epochs = 200
    args = ["--config", str(tiny_config_file), f"train.epochs={epochs}", "train.save_total_limit=1", *FAST]
    args.append(f"model.pooling={pooling}")
    work = tmp_path / "runs" / ".tiny.partial" / "checkpoints"
    proc = _run_cli(args, tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and not list(work.glob("checkpoint-*/trainer_state.json")):
        time.sleep(0.05)
    time.sleep(0.2)  # let it run on past the first checkpoint
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training finished before it could be killed"
    assert not (tmp_path / "runs" / "tiny").exists()
    step = max(int(p.name.split("-")[1]) for p in work.glob("checkpoint-*"))
    rerun = subprocess.run(
        [sys.executable, "-m", "stancelab.train", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "resuming from" in rerun.stderr and "checkpoint-" in rerun.stderr
    # train_log.jsonl is appended by both processes: a restart from scratch would log epoch 1 twice
    log = [json.loads(line) for line in (tmp_path / "runs" / "tiny" / "train_log.jsonl").read_text().splitlines()]
    assert len([r for r in log if r["step"] == 3 and "loss" in r]) == 1 and step >= 3
    assert max(r["step"] for r in log) == epochs * 3
    assert (tmp_path / "runs" / "tiny" / "metrics.json").is_file()


def test_failed_run_leaves_finished_run_intact(tiny_config_file, tmp_path):
    config = load_config(tiny_config_file, FAST)
    from stancelab.train.run import train

    run_dir = tmp_path / "runs" / "tiny"
    train(config, run_dir)
    before = (run_dir / "metrics.json").read_bytes()
    config.data.test = str(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="file not found"):
        train(config, run_dir, overwrite=True)
    assert (run_dir / "metrics.json").read_bytes() == before


def test_several_seeds_give_mean_and_std(tiny_config_file, tmp_path):
    config = load_config(tiny_config_file, FAST + ["train.max_steps=2"])
    summary = train_seeds(config, [1, 2])
    assert summary["seeds"] == [1, 2]
    assert set(summary["test"]["macro_f1"]) == {"mean", "std"}
    runs = [json.loads((tmp_path / "runs" / f"tiny-seed{s}" / "metrics.json").read_text())["test"] for s in (1, 2)]
    assert summary["test"]["macro_f1"]["mean"] == pytest.approx((runs[0]["macro_f1"] + runs[1]["macro_f1"]) / 2)
    assert summary["test"]["macro_f1"]["std"] == pytest.approx(abs(runs[0]["macro_f1"] - runs[1]["macro_f1"]) / 2**0.5)
    assert (tmp_path / "runs" / "tiny-seed1" / "metrics.json").is_file()
    assert json.loads((tmp_path / "runs" / "tiny-seeds.json").read_text()) == summary


@pytest.mark.skipif(shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None, reason="no torchrun")
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_torchrun_two_processes_on_cpu_writes_a_valid_run(tiny_config_file, tmp_path, pooling):
    torchrun = str(Path(sys.executable).parent / "torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [
            torchrun,
            "--nproc_per_node=2",
            "--master_port=29533",
            "-m",
            "stancelab.train",
            "--config",
            str(tiny_config_file),
            "train.run_name=ddp",
            f"model.pooling={pooling}",
            *FAST,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "runs" / "ddp"
    assert (run / "model" / "model.safetensors").is_file() and (run / "metrics.json").is_file()
    log = json.loads((run / "train_log.jsonl").read_text().splitlines()[0])
    assert log["step"] == 2  # 9 examples, 2 processes x batch 4 -> 2 steps per epoch
    from stancelab import predict

    assert predict(example_rows()[:1], model=run)[0]["label"] in ("support", "oppose", "conditional")
