"""Analyses built on top of the core model: each calls prepare/solve and adds one idea."""
