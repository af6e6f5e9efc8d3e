"""Serve a GGUF model as an OpenAI-compatible endpoint, with the embedded model's CPU guard.

    python -m companion.llm.serve --model FILE.gguf [llama_cpp.server options]

A thin wrapper over `llama_cpp.server`: every model it loads skips llama.cpp's extra CPU
buffer types, as the embedded provider does (see `local.without_extra_buffer_types`), so a
team's shared endpoint does not segfault on an AMX machine either. The tests use it as their
real OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    from companion.llm.local import without_extra_buffer_types

    with without_extra_buffer_types():
        serve()  # type: ignore[no-untyped-call]  # llama_cpp.server is untyped


if __name__ == "__main__":
    main()
