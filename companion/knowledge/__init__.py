"""The knowledge layer: the bundled mentorship corpus and the user's notes, searchable with citations.

Data flows one way: `loader` (files -> notes with metadata and action items) -> `chunker`
(heading-aware chunks with exact line ranges) -> `embeddings` (offline MiniLM through
onnxruntime, or an OpenAI-compatible endpoint) -> `store` (chromadb, the only module that
imports it) -> `index.KnowledgeBase` (incremental sync, search with MMR, action items).

Nothing heavy is imported here: `companion --help` must stay fast and must not load
chromadb, onnxruntime or langchain. Import `companion.knowledge.index` when you need it.
"""
