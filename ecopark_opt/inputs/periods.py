"""Periods of the year: how much of each stream and of each link's bound falls in a period.

A park without a ``periods`` sheet has one period, the year, and every share is 1; the
numbers are then exactly the yearly ones (docs/workbook.md, ``periods`` and ``profiles``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..park import Park


def link_bounds(park: Park, links: pd.DataFrame, shares: pd.DataFrame, period: str) -> list[float]:
    r"""U_lt, the most every link of the frame ``links`` can carry in period t:

    .. math:: U_{lt} = \min\left(q_i s_{it},\ \frac{q_j s_{jt}}{η_l},\ cap_{m(l)} \frac{h_t}{H},
              \ Q_l s_{jt}\right)

    (s the streams' shares of period t, Q_l the link's quality bound); the yearly bound
    ``upper`` itself when the year is one period.
    """
    if not park.has_periods:
        return links["upper"].tolist()
    hours = park.period_hours
    rate = float(hours[period] / hours.sum())
    qty = park.flows["quantity"].astype(float)
    share = shares[period]
    s_i = share.reindex(links["supply_flow"]).to_numpy(float)
    s_j = share.reindex(links["demand_flow"]).to_numpy(float)
    q_i = qty.reindex(links["supply_flow"]).to_numpy(float)
    q_j = qty.reindex(links["demand_flow"]).to_numpy(float)
    bound = np.minimum(q_i * s_i, q_j * s_j / links["delivered_factor"].to_numpy(float))
    bound = np.fmin(bound, links["mode_capacity"].to_numpy(float) * rate)
    bound = np.minimum(bound, links["quality_upper"].to_numpy(float) * s_j)
    return bound.tolist()
