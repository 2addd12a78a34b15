"""Readers: bytes in JSON Lines or Parquet become typed, validated records (or rejects with reasons)."""

from kg.sources.readers import read_inputs, read_path
from kg.sources.records import Chunk, Paper, Rejected, SourceRecord

__all__ = ["Chunk", "Paper", "Rejected", "SourceRecord", "read_inputs", "read_path"]
