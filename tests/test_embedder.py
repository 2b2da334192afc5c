"""The embedder's two fast paths: questions through ONNX Runtime, and fixed text lists
(taxonomy, scope) kept as vectors in the store. Both must give the vectors PyTorch gives."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.embedder import Embedder, StoredVectors, load_onnx_encoder
from test_ingest import CountingEmbedder

pytestmark = pytest.mark.slow

QUESTIONS = [
    "How do I handle a timing objection?",
    "prospect said now isnt a good time, waht do i say",
    "the CFO wants a discount",
    "they went dark after the demo " * 120,  # longer than the model reads: truncated alike
]


def test_onnx_question_vectors_match_pytorch():
    embedder = Embedder()
    assert load_onnx_encoder(None) is not None, "the ONNX question encoder should be available"
    fast = np.stack([load_onnx_encoder(None).encode_one(q) for q in QUESTIONS])
    slow = embedder._model.encode(QUESTIONS, normalize_embeddings=True, convert_to_numpy=True)
    cosines = (fast * slow).sum(axis=1)
    assert cosines.min() > 0.9999, cosines
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_pytorch_questions_can_be_chosen():
    embedder = Embedder(onnx=False)
    vector = embedder.encode_one("How do I handle a timing objection?")
    assert vector.shape == (embedder.dimension,)


def test_stored_vectors_are_read_back_and_rebuilt_when_the_texts_change(tmp_path):
    path = tmp_path / "store" / "taxonomy-vectors.npz"
    texts = ["Asked about the budget owner.", "Pitched before the pain was clear."]
    first = CountingEmbedder()
    written = StoredVectors(first, path).encode(texts)
    assert first.texts == 2 and path.is_file()

    again = CountingEmbedder()
    read = StoredVectors(again, path).encode(texts)
    assert again.texts == 0
    assert np.array_equal(read, written)

    changed = CountingEmbedder()
    StoredVectors(changed, path).encode(texts + ["Booked the next step."])
    assert changed.texts >= 1  # a new text: the file is rebuilt (unchanged texts may come from the cache)


def test_a_damaged_vector_file_is_rebuilt(tmp_path):
    path = tmp_path / "scope-vectors.npz"
    path.write_bytes(b"not a numpy file")
    vectors = StoredVectors(Embedder(), path).encode(["What is our parental leave policy?"])
    assert vectors.shape[0] == 1
    with np.load(path) as stored:
        assert np.array_equal(stored["vectors"], vectors)


def test_a_cold_ask_does_not_load_pytorch(knowledge_store):
    """A new process answers with the stored taxonomy and scope vectors and the ONNX question
    encoder (exported by the earlier tests of this run), so it never imports torch."""
    load_onnx_encoder(None)  # the graph exists before the child process starts
    script = (
        "import sys\n"
        "from coach.cli import main\n"
        f"code = main(['--data-dir', {str(knowledge_store / '.coach')!r}, 'ask', 'A prospect says the timing is wrong. What now?'])\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "NO-TORCH 0", result.stdout[-2000:]
