"""The whole park's model as a file for another solver or a solver expert
(``ecopark solve --write-model``, docs/cli.md).

The file is the model :func:`.optimize.optimize` hands HiGHS when it solves the park as one
model: every candidate link, those that safe pruning drops fixed unbuilt (they are not in
the file), the chosen objective against the standalone baseline. When the park is solved as
independent components (:mod:`.decompose`), this is the one model they come from: its
optimum is the sum of theirs.
"""

from __future__ import annotations

import os

from ..park import Park
from .optimize import RunOptions, checked_links, with_objective
from .park_model import ParkModel
from .prune import prune_links
from .solve import ModelFile, write_model
from .stages import Timer


def write_park_model(park: Park, options: RunOptions, path: str | os.PathLike) -> ModelFile | None:
    """Build the park's whole model as :func:`.optimize.optimize` would (objective, pruning)
    and write it to ``path`` (``.mps`` or ``.lp``) exactly as HiGHS would be given it
    (:func:`.solve.write_model`); None when the data make it infeasible before any solve.
    Raises :class:`~ecopark_opt.errors.InfeasibleError` like the solve when the pre-solve
    checks fail."""
    park = with_objective(park, options.objective)
    links = checked_links(park, Timer())
    kept = prune_links(park, links) if options.prune else links
    model = ParkModel.build(park, links)
    with model.fixed(links_off=links.index.difference(kept.index)):
        return write_model(model.m, path)
