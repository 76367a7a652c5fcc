"""How results look: the terminal, HTML and Markdown reports, charts, tables."""
