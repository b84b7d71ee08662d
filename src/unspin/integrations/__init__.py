"""Adaptors that put unspin into data-curation pipelines.

- :class:`unspin.integrations.datatrove.UnspinFilter`: a datatrove ``BaseFilter`` that drops or tags
  spun documents (needs ``pip install 'unspin[datatrove]'``).
"""


def __getattr__(name: str):
    if name == "UnspinFilter":
        from unspin.integrations.datatrove import UnspinFilter

        return UnspinFilter
    raise AttributeError(name)


__all__ = ["UnspinFilter"]
