"""A plain llama-index pipeline over the same playbooks, as the comparison point for coach.

Everything is llama-index's default except what must be local: SimpleDirectoryReader,
the default SentenceSplitter (1,024 tokens, 200 overlap), an in-memory VectorStoreIndex,
the same bundled all-MiniLM-L6-v2 through llama-index's HuggingFaceEmbedding, no LLM, and
``similarity_top_k=5``. It has no refusal: it always answers.

Its chunks span several playbook sections, so a retrieved node counts as retrieving every
section it overlaps by at least ``MIN_OVERLAP`` characters (or by half the section, for a
short one). Its "answer" is the text of the nodes it retrieved (what a no-LLM pipeline can
show), so must-mention coverage is reported with the answer length beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evals.metrics import covered_groups, first_relevant_rank, hit_at_k, reciprocal_rank
from ingest.files import discover, read_text
from ingest.formats import parse_source
from ingest.roots import Roots

MIN_OVERLAP = 120
TOP_K = 5


@dataclass(frozen=True)
class BaselineAnswer:
    ranked: list[tuple[str, str]]  # (source, section) in rank order, one node may give several
    node_ranks: list[int]  # the 1-based node rank of each entry of ``ranked``
    text: str  # the retrieved nodes' text


class SectionMap:
    """Character spans of every playbook section, from coach's own parser (same section paths)."""

    def __init__(self, playbooks: Path) -> None:
        self.spans: dict[str, list[tuple[int, int, str]]] = {}
        files = discover([playbooks], Roots({"knowledge": playbooks.parent})).files
        for file in files:
            text = read_text(file.path).text
            spans, cursor = [], 0
            for chunk in parse_source(file.source, text, file.kind).chunks:
                # the chunk's body lines, found in order in the file, give its span
                lines = [line for line in chunk.text.splitlines() if line.strip()]
                if not lines:
                    continue
                start = text.find(lines[0], cursor)
                end = text.find(lines[-1], max(start, 0))
                if start < 0 or end < 0:
                    continue
                spans.append((start, end + len(lines[-1]), chunk.section))
                cursor = start
            self.spans[file.path.name] = sorted(spans)

    def sections(self, file_name: str, start: int, end: int) -> list[str]:
        found = []
        for s, e, section in self.spans.get(file_name, []):
            overlap = min(end, e) - max(start, s)
            if overlap >= min(MIN_OVERLAP, (e - s) // 2) and section not in found:
                found.append(section)
        return found


class LlamaIndexBaseline:
    def __init__(self, playbooks: Path, model_dir: str) -> None:
        from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        Settings.llm = None  # no LLM: llama-index falls back to its MockLLM, never a remote one
        Settings.embed_model = HuggingFaceEmbedding(model_name=str(model_dir), device="cpu")
        documents = SimpleDirectoryReader(str(playbooks), required_exts=[".md"]).load_data()
        self.index = VectorStoreIndex.from_documents(documents)
        self.retriever = self.index.as_retriever(similarity_top_k=TOP_K)
        self.sections = SectionMap(playbooks)
        self.source_of = {d.metadata["file_name"]: f"knowledge/playbooks/{d.metadata['file_name']}" for d in documents}

    def ask(self, question: str) -> BaselineAnswer:
        ranked, ranks, texts = [], [], []
        for rank, scored in enumerate(self.retriever.retrieve(question), start=1):
            node = scored.node
            name = node.metadata["file_name"]
            texts.append(node.get_content())
            for section in self.sections.sections(name, node.start_char_idx or 0, node.end_char_idx or 0):
                ranked.append((self.source_of[name], section))
                ranks.append(rank)
        return BaselineAnswer(ranked, ranks, "\n\n".join(texts))


def node_rank(answer: BaselineAnswer, expected: list[tuple[str, str]]) -> int | None:
    """The node rank (1-5) of the first node that holds an expected section."""
    position = first_relevant_rank(answer.ranked, expected)
    return None if position is None else answer.node_ranks[position - 1]


def words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def score(answer: BaselineAnswer, expected, must_mention) -> dict:
    rank = node_rank(answer, expected)
    return {
        "rank": rank, "hit@5": hit_at_k(rank, 5), "rr": reciprocal_rank(rank),
        "covered": covered_groups(answer.text, must_mention), "words": words(answer.text),
    }
