"""Adapters to the outside world, one library each: audio devices and files, voice activity and end of turn,
speech to text, text to speech, the LLM client, sentence embeddings."""
