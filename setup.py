"""For tools and habits that still call setup.py: `python setup.py --version`, `python setup.py develop`, pips
older than 21.3 doing `pip install -e .`. Every piece of metadata is read from pyproject.toml: add none here."""
import setuptools

if int(setuptools.__version__.split('.')[0]) < 77:  # pyproject.toml's SPDX `license = "Apache-2.0"` needs 77
    raise SystemExit(f'setup.py reads everything from pyproject.toml, which needs setuptools>=77 '
                     f'(this Python has {setuptools.__version__}): run `python -m pip install -U "setuptools>=77"`')
setuptools.setup()
