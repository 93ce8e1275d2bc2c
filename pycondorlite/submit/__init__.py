"""The submit-description language: reader, macros, queue items, job ads."""
