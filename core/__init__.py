"""The foundation: records, errors, settings, the data directory's Store, safety rules and
JSON-lines reading. It imports nothing else of the project; every other package may import it."""
