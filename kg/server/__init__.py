"""The HTTP layer: a FastAPI app that serves the store over the SPARQL 1.1 protocols."""
