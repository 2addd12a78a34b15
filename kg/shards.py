"""Sharded N-Quads builds, locally or on a Dask cluster."""
