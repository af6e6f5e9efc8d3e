"""The Textual chat app. Nothing here imports chromadb, llama_cpp, langchain or an LLM client:
the coaching session is created and prepared in worker threads (see `app.py`)."""
