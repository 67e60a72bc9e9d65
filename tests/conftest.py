import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='session')
def root(): return ROOT

@pytest.fixture(autouse=True)
def library_model_registry():
    """Notebook tests run the notebooks' cells in this process, and their `@register_model` classes replace the library's
    in `dglkit.models.MODELS`; every test starts with the library's own classes (restored here)."""
    import dglkit.models as m, dglkit.stylegan2 as s, dglkit.biggan as b
    lib = {k: v for k, v in m.MODELS.items() if v.__module__.startswith('dglkit.')}
    for mod in (s, b):
        for k in dir(mod):
            v = getattr(mod, k)
            if isinstance(v, type) and v.__module__ == mod.__name__ and k in m.MODELS: lib[k] = v
    m.MODELS.clear(); m.MODELS.update(lib)
    yield
