"""The history: SQLite with numbered migrations (db), recovery of a damaged file, scores kept while locked,
saved plans, and the queries history and reports are built from."""
