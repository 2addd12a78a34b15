"""The spaCy pipeline that finds claims and research entities, assembled from ``pipeline.cfg``."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import spacy
from spacy.language import Language

from kg.extract.nlp import components  # noqa: F401  (registers the kg_ factories)

PIPELINE_NAME = "kg-claims-rules"
PIPELINE_VERSION = "1.3.0"
RULE_COMPONENTS = ("kg_debris", "kg_entities", "kg_claims")
RULES_MAX_LENGTH = 20_000_000


def pipeline_config() -> spacy.Config:
    text = resources.files("kg.extract.nlp").joinpath("pipeline.cfg").read_text(encoding="utf-8")
    return spacy.Config().from_str(text)


@lru_cache(maxsize=4)
def load_pipeline(name: str | None = None) -> Language:
    """The rule-based pipeline (``name`` None), or the installed trained pipeline ``name`` plus our rules.

    A trained pipeline keeps its tagger and parser (for lemmas and sentence boundaries) and gets our
    debris, entity and claim components appended.
    """
    config = pipeline_config()
    if name is None:
        nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
        nlp.max_length = RULES_MAX_LENGTH  # no parser: memory grows linearly with the text
        return nlp
    nlp = spacy.load(name, exclude=["ner"])
    for component in RULE_COMPONENTS:
        block = dict(config["components"][component])
        factory = block.pop("factory")
        nlp.add_pipe(factory, name=component, config=block)
    return nlp


def pipeline_label(nlp: Language) -> str:
    """What the provenance names: our pipeline, its version and the trained base, if any."""
    base = nlp.meta.get("name", "")
    lang, version = nlp.meta.get("lang", "en"), nlp.meta.get("version", "")
    trained = "" if base in {"", "pipeline"} else f" on {lang}_{base} {version}"
    return f"{PIPELINE_NAME} {PIPELINE_VERSION}{trained}"
