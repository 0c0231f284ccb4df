from setuptools import setup

# pyproject.toml holds the project; this shim is for tools that still look for setup.py
# (scrapyd-deploy writes one into the checkout otherwise).
setup()
