"""The news pipeline, one stage per module: poll → normalise → dedupe → classify → … → deliver.

Each stage reads and writes the database and knows nothing of the stages after it.
"""
