"""Figure builders, ``fig_<thing>(df, ...) -> go.Figure``, one module per topic.

Every builder styles its figure through :mod:`rfa_dash.charts.style`, so every
chart has a title, axis units, the data cut and the protocol's arm colours.
Only pages call ``st.plotly_chart`` (through ``ui.chart``).
"""

from rfa_dash.charts.enrollment import (
    fig_accrual,
    fig_allocation,
    fig_allocation_over_time,
    fig_consort,
    fig_criteria,
    fig_funnel,
    fig_monthly,
    fig_sequential,
)
from rfa_dash.charts.outcomes import fig_cif, fig_mcf, fig_sre_types, fig_swimmer
from rfa_dash.charts.patients import (
    fig_omed,
    fig_pain_over_time,
    fig_pain_response,
    fig_profile,
)
from rfa_dash.charts.progression import (
    fig_main_trial_sensitivity,
    fig_progression,
    fig_progression_course,
)
from rfa_dash.charts.safety import fig_ae_grades, fig_safety_oc, fig_safety_rule
from rfa_dash.charts.visits import (
    fig_adherence,
    fig_adherence_over_time,
    fig_retention,
    fig_status_by_month,
    fig_visit_grid,
)

__all__ = [
    "fig_accrual", "fig_adherence", "fig_adherence_over_time", "fig_ae_grades",
    "fig_allocation", "fig_allocation_over_time", "fig_cif", "fig_consort", "fig_criteria",
    "fig_funnel", "fig_main_trial_sensitivity", "fig_mcf", "fig_monthly", "fig_omed",
    "fig_pain_over_time",
    "fig_pain_response", "fig_profile", "fig_progression", "fig_progression_course",
    "fig_retention", "fig_safety_oc", "fig_safety_rule", "fig_sequential",
    "fig_sre_types",
    "fig_status_by_month", "fig_swimmer", "fig_visit_grid",
]
