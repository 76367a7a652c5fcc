"""The question bank and the prompts: cards, their import from pages, versioned prompt files."""
