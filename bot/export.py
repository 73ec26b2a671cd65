"""Exporting the provisioned model (with its sparse head) to ONNX, once, into the model cache.

The graph is :func:`engine.heads_module` traced by ``torch.onnx`` (float32), and optionally its
weights quantised to int8 by ONNX Runtime's dynamic quantisation (activations are quantised
on the fly, per batch). The files are written into a temporary sibling folder and renamed
into place, as provisioning does, so an interrupted export never leaves a broken file; no
network is used.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .engine import SaeHead, heads_module
from .errors import ModelUnavailable

#: Bumped whenever the exported graph changes, so old exports are redone.
EXPORT_VERSION = 1
_OPSET = 17


def export_folder(model_folder: Path) -> Path:
    """Where the ONNX files of a provisioned model folder live (beside it in the cache)."""
    return model_folder.parent / f"{model_folder.name}-onnx-v{EXPORT_VERSION}"


def export_onnx(model_folder: Path, sae: SaeHead, int8: bool = False, log=print) -> Path:
    """The ONNX file (float32, or int8 weights) of the model, exporting it on first use."""
    folder = export_folder(model_folder)
    path = folder / ("model-int8.onnx" if int8 else "model.onnx")
    if path.is_file():
        return path
    log(f"exporting the model to ONNX in {folder} (one-off, ~1 min)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        fp32 = folder / "model.onnx"
        if fp32.is_file():
            shutil.copy2(fp32, tmp / "model.onnx")
        else:
            _export_fp32(model_folder, sae, tmp / "model.onnx")
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(
                str(tmp / "model.onnx"), str(tmp / "model-int8.onnx"), weight_type=QuantType.QInt8
            )
        if folder.exists():  # keep what an earlier export made (fp32 beside a new int8)
            for p in folder.iterdir():
                if not (tmp / p.name).exists():
                    shutil.copy2(p, tmp / p.name)
            shutil.rmtree(folder)
        (tmp / "export.json").write_text(
            json.dumps(
                {"export_version": EXPORT_VERSION, "opset": _OPSET, "source": str(model_folder)}
            ),
            encoding="utf-8",
        )
        os.replace(tmp, folder)
    except Exception as exc:
        raise ModelUnavailable(
            f"cannot export the model to ONNX ({exc}): use "
            "SANAD_BACKEND=torch, or reinstall onnx and onnxruntime"
        ) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _export_fp32(model_folder: Path, sae: SaeHead, out: Path) -> None:
    import torch

    module = heads_module(model_folder, sae)
    ids = torch.tensor([[0, 41, 1294, 12, 33600, 31, 8999, 2]], dtype=torch.int64)
    mask = torch.ones_like(ids)
    batch, seq = "batch", "tokens"
    with torch.inference_mode():
        torch.onnx.export(
            module,
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden", "sae_values", "sae_ids"],
            dynamic_axes={
                "input_ids": {0: batch, 1: seq},
                "attention_mask": {0: batch, 1: seq},
                "hidden": {0: batch, 1: seq},
                "sae_values": {0: batch, 1: seq},
                "sae_ids": {0: batch, 1: seq},
            },
            opset_version=_OPSET,
            dynamo=False,
            external_data=False,
        )
