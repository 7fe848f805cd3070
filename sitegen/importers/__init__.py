"""Importers: one reader per source format (docx, wxr, feed, page, text), each giving Imported records
that sitegen.importing turns into canonical article files."""
