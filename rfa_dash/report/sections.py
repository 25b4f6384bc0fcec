"""The DSMB report's sections, in the order of the DSMB report templates.

One function per section, each taking a :class:`Ctx` and returning a
:class:`~rfa_dash.report.document.Section`. The order follows the NIH
(NIDCR, NINDS) DSMB report outlines: study status and schema, enrollment,
screening, participant flow, baseline, treatment, deviations, retention and
adherence, progression criteria, outcomes, safety, data quality, changes
since the previous cut. Every figure is asked of the role the report is for
(``ctx.role``): an open report's role sees nothing by arm, so its tables and
charts are pooled by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from rfa_dash import charts
from rfa_dash.analysis import accrual as accrual_mod
from rfa_dash.analysis import (
    balance,
    eligibility,
    main_trial,
    pain,
    progression,
    recurrent,
    safety,
    safety_rule,
    sre,
    visits,
)
from rfa_dash.analysis.deviations import deviations
from rfa_dash.analysis.quality import role_problems, table_summary
from rfa_dash.blinding import Role, open_session, sees
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.present import decisions, outcomes, patients
from rfa_dash.present import enrollment as present_enrollment
from rfa_dash.present import visits as present_visits
from rfa_dash.present.progression import course_table, progression_table, sentence
from rfa_dash.report.document import Figure, Heading, Section, Table, Text


@dataclass
class Ctx:
    """What every section needs: the export at the cut, the role the report is for, the
    group labels and colours (arm names, or Group A/B when masked) and the chart caption.
    ``changes`` is :func:`rfa_dash.analysis.cuts.changes_since`'s result, or None."""

    exp: Export
    as_of: dt.date
    role: Role
    labels: dict[str, str]
    colors: dict[str, str]
    cut: str
    masked: bool
    listing_rows: int | None
    changes: dict[str, pd.DataFrame] | None = None
    since: str = ""

    @property
    def by_arm(self) -> bool:
        return sees(self.role, "outcomes_by_arm")

    # the funnel is an eligibility pass (0.4 s at 100,000): asked once for every section
    @cached_property
    def funnel(self) -> pd.DataFrame:
        """stage, n, conversion at the cut."""
        return self.exp.query("enrollment_funnel", as_of=self.as_of)

    def stage(self, name: str) -> int:
        """The funnel's count at ``name`` (screened, eligible, consented, randomized)."""
        return int(self.funnel.set_index("stage")["n"][name])

    @cached_property
    def groups_n(self) -> str:
        """"n = 30 randomized (RFA/BA + RT 20, RT alone 10)", pooled for an open report."""
        total = self.stage("randomized")
        if not self.by_arm:
            return f"n = {total:,} randomized"
        by = balance.randomized_by_arm(self.exp, self.as_of)
        parts = [(self.labels.get(a, a), int(n)) for a, n in zip(by["arm"], by["n"],
                                                                  strict=True)]
        return f"n = {total:,} randomized (" + ", ".join(f"{g} {n:,}" for g, n in parts) + ")"


def status_and_schema(ctx: Ctx) -> Section:
    """Study status (counts at the cut) and schema (design, arms, visit schedule)."""
    p, exp = ctx.exp.protocol, ctx.exp
    start = accrual_mod.accrual_start(exp, ctx.as_of)
    if ctx.masked:   # the ratio largest first: in group order it would tell the key
        ratio = ":".join(str(r) for r in sorted((a.ratio for a in p.arms), reverse=True))
        arms = (f"{len(p.arms)} arms, allocated {ratio}; in this masked report they are "
                + " and ".join(sorted(ctx.labels[a.code] for a in p.arms))
                + ", and which is which is on the key page only.")
    else:
        arms = ("Arms (allocation ratio): " + "; ".join(f"{a.label} ({a.ratio})"
                                                        for a in p.arms) + ".")
    off = exp.query("offstudy_over_time", as_of=ctx.as_of)
    off_n = int(off.groupby("reason")["cumulative_off_study"].last().sum()) if len(off) else 0
    status = pd.DataFrame([
        ("Data cut", ctx.as_of.isoformat()),
        ("Accrual start", start.isoformat() if start else "no screening yet"),
        ("Planned accrual", f"{p.planned_accrual_months} months"),
        ("Screened", ctx.stage("screened")),
        ("Eligible", ctx.stage("eligible")),
        ("Consented", ctx.stage("consented")),
        ("Randomized", f"{ctx.stage('randomized')} of a target of {p.target} "
                       f"({ctx.stage('randomized') / p.target:.0%})"),
        ("Off study (any reason)", off_n),
    ], columns=["Item", "Value"]).astype({"Value": str})
    schema = pd.DataFrame({
        "Visit": [f"Month {m}" for m in p.visit_months],
        "Target": [f"{m} calendar months after treatment" for m in p.visit_months],
        "Window (days before / after)": [f"{p.windows[m][0]} / {p.windows[m][1]}"
                                         for m in p.visit_months]})
    return Section("Study status and schema", "status", [
        Text(f"{p.registry_id} ({p.sponsor_id}): single-center randomized pilot, target "
             f"{p.target} randomized participants. " + arms),
        Text("Primary outcome: skeletal-related events (pathologic fracture, cord or nerve "
             "root compression, pain or instability, another local intervention), assessed "
             "at the follow-up visits below; death without an SRE is a competing event."),
        Table("Study status", status, f"n = {ctx.stage('screened'):,} screened"),
        Table("Schema: follow-up visits and their windows", schema,
              f"{len(p.visit_months)} visits"),
    ])


def enrollment(ctx: Ctx) -> Section:
    """Enrollment actual vs expected over time, with the accrual projection."""
    p = ctx.exp.protocol
    acc = accrual_mod.accrual(ctx.exp, ctx.as_of)
    n = f"n = {ctx.stage('randomized'):,} randomized"
    blocks: list = [
        Figure("Randomized participants over time against the planned pace and the target",
               charts.fig_accrual(acc, p.target, cut=ctx.cut), n),
        Table("Randomizations by month, actual and expected at the planned pace",
              present_enrollment.monthly_vs_planned(acc), n),
    ]
    pr = acc.projection
    if pr is not None and pr.band80 is not None and pr.band95 is not None:
        blocks.append(Text(f"Projected date of reaching {p.target}: median {pr.median}, 80% "
                           f"band {pr.band80[0]} to {pr.band80[1]}, 95% band {pr.band95[0]} "
                           f"to {pr.band95[1]} (Poisson-gamma accrual model, prior "
                           f"certainty {pr.prior_certainty:g})."))
    blocks.append(Table("Screening, consent and randomization rates",
                        present_enrollment.rates_display(acc.rates), n))
    return Section("Enrollment", "enrollment", blocks)


def screening_failures(ctx: Ctx) -> Section:
    """Screening failures by reason: every criterion failed, and each patient's first."""
    counts = eligibility.criterion_counts(ctx.exp, ctx.as_of)
    steps = eligibility.exclusion_steps(ctx.exp, ctx.as_of)
    n = f"n = {ctx.stage('screened'):,} screened"
    return Section("Screening failures by reason", "screening", [
        Text("A patient can fail several criteria: the first table counts each criterion "
             "failed; the second removes each patient once, at the first criterion failed in "
             "the protocol's order (the participant-flow diagram's reasons)."),
        Table("Screening failures by criterion", counts, n),
        Table("Sequential exclusion", steps, n),
    ])


def consort(ctx: Ctx) -> Section:
    """The participant-flow (CONSORT) diagram and the enrollment funnel."""
    c = eligibility.consort(ctx.exp, ctx.as_of, ctx.role)
    if "arms" in c:
        c = {**c, "arms": [(a, ctx.labels.get(a, lab), k) for a, lab, k in c["arms"]]}
    funnel = ctx.funnel.assign(conversion=ctx.funnel["conversion"].map(
        lambda x: "" if x != x else f"{x:.0%}"))[["stage", "n", "conversion"]]
    n = f"n = {c['screened']:,} screened"
    return Section("Participant flow (CONSORT)", "consort", [
        Figure("Participant flow", charts.fig_consort(c, colors=ctx.colors, cut=ctx.cut), n),
        Table("Enrollment funnel", funnel, n),
    ])


def baseline(ctx: Ctx) -> Section:
    """Baseline characteristics: by arm with SMDs (closed), pooled (open)."""
    t = balance.baseline_table(ctx.exp, ctx.as_of, ctx.role, pooled=not ctx.by_arm)
    blocks: list = []
    if ctx.by_arm:
        blocks.append(Text("Standardized mean differences (SMD) compare the two groups; "
                           "|SMD| > 0.1 is commonly read as imbalance."))
    blocks.append(Table("Baseline characteristics", t, ctx.groups_n))
    return Section("Baseline characteristics", "baseline", blocks)


def treatment(ctx: Ctx) -> Section:
    """Treatment received: as allocated, not, not recorded."""
    t = balance.received_as_allocated(ctx.exp, ctx.as_of, ctx.role, pooled=not ctx.by_arm)
    t = t.rename(columns={"Arm": "Group"})
    return Section("Treatment received", "treatment", [
        Table("Treatment received as allocated", t, ctx.groups_n),
    ])


def _group_columns(frame: pd.DataFrame, values: list[str], ctx: Ctx, index: str
                   ) -> pd.DataFrame:
    """``frame`` (group, index, values...) with one column per group and value."""
    out = None
    for g in frame["group"].unique():
        part = frame[frame["group"] == g].set_index(index)[values]
        part.columns = [f"{ctx.labels.get(g, g)}: {v}" if ctx.by_arm else v for v in values]
        out = part if out is None else out.join(part)
    return (out if out is not None else pd.DataFrame(columns=values)).reset_index()


def protocol_deviations(ctx: Ctx) -> Section:
    """Protocol deviations by category; the important ones listed."""
    d = deviations(ctx.exp, ctx.as_of, ctx.role)
    if not d.has_table:
        return Section("Protocol deviations", "deviations", [
            Text("The export has no deviations file: no protocol deviation was recorded.")])
    by_cat = _group_columns(d.by_category, ["deviations", "participants", "important"], ctx,
                            "category")
    imp = _with_group(d.important, ctx)
    return Section("Protocol deviations", "deviations", [
        Text(f"{d.total} deviation(s) recorded up to the data cut, "
             f"{len(imp)} of them important (major)."),
        Table("Protocol deviations by category", by_cat, ctx.groups_n),
        Table("Important protocol deviations", imp, f"{len(imp):,} important deviations",
              max_rows=ctx.listing_rows),
    ])


def retention_adherence(ctx: Ctx) -> Section:
    """Retention (off study by reason over time) and visit adherence."""
    adh = visits.adherence(ctx.exp, ctx.as_of)
    ret = visits.retention(ctx.exp, ctx.as_of, ctx.role)
    n = f"n = {ctx.stage('randomized'):,} randomized"
    at_cut = (ret.sort_values("month_end").groupby("reason", as_index=False).last()
              [["reason", "cumulative_off_study"]]
              .rename(columns={"reason": "Reason", "cumulative_off_study": "Off study"})
              if len(ret) else pd.DataFrame(columns=["Reason", "Off study"]))
    return Section("Retention and visit adherence", "adherence", [
        Figure("Participants off study over time, by reason",
               charts.fig_retention(ret, cut=ctx.cut), n),
        Table("Off study at the data cut, by reason (pooled)", at_cut, n),
        Figure("Visit adherence by visit month", charts.fig_adherence(adh, cut=ctx.cut),
               "visits due by the data cut"),
        Table("Visit adherence by visit month", present_visits.adherence_table(adh),
              "visits due by the data cut"),
    ])


def progression_criteria(ctx: Ctx) -> Section:
    """Pilot progression criteria: table, sentences, chart and course (pooled)."""
    t = progression.progression(ctx.exp, ctx.as_of, ctx.role)
    title = "Pilot progression criteria"
    if t.empty:
        return Section(title, "progression", [
            Text("The protocol file uses no progression criterion.")])
    blocks: list = [
        Text("Green: proceed; amber: proceed with changes; red: stop or rethink, against the "
             "thresholds pre-specified in the protocol file. The status follows the point "
             "estimate; 95% intervals beside it. Pooled over arms."),
        Table("Progression criteria", progression_table(t), f"{len(t)} criteria"),
        *[Text(sentence(r)) for _, r in t.iterrows()],
        Figure("Progression criteria against their thresholds",
               charts.fig_progression(t, cut=ctx.cut), f"{len(t)} criteria"),
    ]
    c = progression.course(ctx.exp, ctx.as_of, ctx.role)
    if not c.empty:
        grid = course_table(c)
        months = f"{len(grid.columns) - 1} month ends"
        blocks += [Figure("Progression criteria at each month end since the accrual start",
                          charts.fig_progression_course(c, cut=ctx.cut), months),
                   Table("Progression status at each month end", grid, months,
                         transpose="Month end")]
    return Section(title, "progression", blocks)


def sre_outcomes(ctx: Ctx) -> Section:
    """SRE outcomes: cumulative incidence, estimates, components, listing."""
    p = ctx.exp.protocol
    res = sre.sre_analysis(ctx.exp, ctx.as_of, ctx.role)
    n = ctx.groups_n
    blocks: list = []
    blocks.append(Figure("Cumulative incidence of a first SRE (death a competing event)"
                         + (" by group" if ctx.by_arm else ", pooled"),
                         charts.fig_cif(res.curves, colors=ctx.colors, labels=ctx.labels,
                                        at_risk=res.table, report_months=p.report_months,
                                        cut=ctx.cut), n))
    if p.comparison_note:   # read beside the figure
        blocks.append(Text(p.comparison_note))
    blocks.append(Table("Cumulative incidence of SRE at the report months",
                        outcomes.estimates_display(res.table, ctx.labels), n))
    if ctx.by_arm:
        blocks.append(Text(outcomes.gray_note(res, ctx.labels)))
    blocks.append(Table("Cumulative incidence by SRE component",
                        outcomes.components_display(sre.components(ctx.exp, ctx.as_of,
                                                                   ctx.role), ctx.labels), n))
    listing = _with_group(with_dates(sre.event_listing(ctx.exp, ctx.as_of, ctx.role)), ctx)
    blocks.append(Table("Listing of SREs", listing, f"{len(listing):,} events",
                        max_rows=ctx.listing_rows))
    return Section("Skeletal-related events", "sre", blocks)


def every_sre(ctx: Ctx) -> Section:
    """Every SRE, not only the first: the mean cumulative number of SREs per participant,
    the skeletal morbidity rate, and the records that did not count as a new SRE."""
    p = ctx.exp.protocol
    mcf = recurrent.mean_cumulative_sres(ctx.exp, ctx.as_of, ctx.role)
    rate = recurrent.morbidity_rate(ctx.exp, ctx.as_of, ctx.role)
    records = recurrent.record_listing(ctx.exp, ctx.as_of, ctx.role)
    skipped = _with_group(records[~records["counted"]].drop(columns="counted"), ctx)
    n = ctx.groups_n
    return Section("Every SRE (recurrent events)", "every-sre", [
        Text("Every SRE counts toward a participant's burden. Records on one date are one "
             f"SRE; a record fewer than {p.sre_min_gap_days} days after the previous counted "
             "SRE of the same participant is the same SRE. Follow-up runs to death, else to "
             "the latest completed visit or counted SRE."),
        Figure("Mean cumulative number of SREs per participant (death a terminal event)"
               + (" by group" if ctx.by_arm else ", pooled"),
               charts.fig_mcf(mcf.curves, colors=ctx.colors, labels=ctx.labels,
                              at_risk=mcf.table, report_months=p.report_months, cut=ctx.cut), n),
        Table("Mean cumulative number of SREs at the report months",
              patients.mcf_view(mcf, p), n),
        Table("Skeletal morbidity rate (SREs per participant-year)",
              patients.rate_view(rate, p), n),
        Table("SRE records not counted as a new SRE", skipped,
              f"{len(skipped):,} of {len(records):,} records", max_rows=ctx.listing_rows)])


def pain_response(ctx: Ctx) -> Section:
    """Pain response per visit month (International Consensus), pain and opioid use."""
    resp = pain.response(ctx.exp, ctx.as_of, ctx.role)
    over = pain.over_time(ctx.exp, ctx.as_of, ctx.role)
    n = ctx.groups_n
    return Section("Pain response", "pain", [
        Figure("Pain over time (mean and 95% interval)",
               charts.fig_pain_over_time(over, colors=ctx.colors, labels=ctx.labels,
                                         cut=ctx.cut), n),
        Figure("Pain response by visit month",
               charts.fig_pain_response(resp, labels=ctx.labels, cut=ctx.cut), n),
        Table("Pain response by visit month (International Consensus, Chow et al. 2012)",
              patients.pain_response_view(resp, ctx.exp.protocol), n),
        Text(patients.PAIN_ONLY_NOTE),
        Figure("Opioid use over time (OMED, median)",
               charts.fig_omed(over, colors=ctx.colors, labels=ctx.labels, cut=ctx.cut), n)])


def _with_group(df: pd.DataFrame, ctx: Ctx) -> pd.DataFrame:
    """``df`` with its arm (or group) codes as the report names them."""
    for col in ("arm", "group"):
        if col in df:
            df = df.assign(**{col: df[col].map(lambda a: ctx.labels.get(a, a))})
    return df


def safety_section(ctx: Ctx) -> Section:
    """Safety: TEAEs by SOC and term, worst grade, serious, related, deaths, SAE listing;
    pre-treatment AEs apart."""
    s = safety.safety(ctx.exp, ctx.as_of, ctx.role)
    sae = safety.serious_events(ctx.exp, ctx.as_of, ctx.role)
    teae = safety.teae_listing(ctx.exp, ctx.as_of, ctx.role)
    n = ctx.groups_n
    blocks: list = [Text(
        "Treatment-emergent adverse events (TEAEs): onset on or after treatment (the "
        "randomization date when treatment is not recorded). A partial onset date (month or "
        "year) is imputed as the earliest date it allows that is not before treatment; "
        "listings flag such rows (Onset imputed: yes) and show the onset as recorded. "
        "Events before treatment are listed apart and "
        "counted nowhere else.")]
    if not s.has_ae_table:
        blocks.append(Text("The export has no adverse events file."))
    blocks += [
        Table("TEAEs by system organ class and term: participants (%) / events",
              outcomes.soc_table(s, ctx.labels), n),
        Table("TEAEs by worst CTCAE grade: participants (%) / events",
              outcomes.grade_table(s, ctx.labels), n),
        Figure("Participants by worst CTCAE grade",
               charts.fig_ae_grades(s.by_grade, colors=ctx.colors, labels=ctx.labels,
                                    cut=ctx.cut), n),
        Table("Serious TEAEs", outcomes.flags_display(s.seriousness, ctx.labels), n),
        Table("Treatment-related TEAEs", outcomes.flags_display(s.relatedness, ctx.labels), n),
        Table("Deaths", _with_group(s.deaths, ctx), f"{len(s.deaths):,} deaths",
              max_rows=ctx.listing_rows),
        Table("Listing of serious adverse events", _with_group(sae, ctx),
              f"{len(sae):,} serious adverse events", max_rows=ctx.listing_rows),
        Table("Listing of grade 3 or higher TEAEs", _with_group(s.grade3, ctx),
              f"{len(s.grade3):,} events", max_rows=ctx.listing_rows),
        Table("Listing of all TEAEs", _with_group(teae, ctx), f"{len(teae):,} events",
              max_rows=ctx.listing_rows),
        Heading("Adverse events before treatment (not treatment-emergent)"),
        Table("Adverse events with onset before treatment", _with_group(s.pretreatment, ctx),
              f"{len(s.pretreatment):,} events", max_rows=ctx.listing_rows),
    ]
    return Section("Safety", "safety", blocks)


def safety_rule_section(ctx: Ctx) -> Section:
    """The safety stopping rule: what counts, the status in words, the boundary (and, in
    the closed report, the monitored arm's path), the operating characteristics."""
    r = safety_rule.safety_rule(ctx.exp, ctx.as_of, ctx.role)
    arm = r.settings.arm
    n = (f"{r.status.evaluable} of {r.settings.n_max} evaluable" if r.path is not None
         else f"up to {r.settings.n_max} participants")
    blocks: list = [Text(decisions.status_sentence(r)), Text(decisions.counts_sentence(r))]
    if r.path is None:
        blocks.append(Text(decisions.PATH_NOTE))
    blocks += [
        Figure("Safety stopping rule: events against evaluable participants",
               charts.fig_safety_rule(decisions.boundary_chart_frame(r), color=ctx.colors.get(
                   arm, "#000000"), label=ctx.labels.get(arm, r.arm_label), cut=ctx.cut), n),
        Table("The boundary" + (" and the path" if r.path is not None else ""),
              decisions.boundary_view(r), n, max_rows=ctx.listing_rows),
        Table("Operating characteristics (exact)", decisions.oc_view(r),
              f"up to {r.settings.n_max} participants"),
    ]
    return Section("Safety stopping rule", "safety-rule", blocks)


def main_trial_section(ctx: Ctx) -> Section:
    """The main trial's size from the pilot's pooled data, with its inputs and its
    sensitivity to the effect to detect."""
    rows = main_trial.main_trial(ctx.exp, ctx.as_of, ctx.role)
    n = f"n = {ctx.stage('randomized'):,} randomized, pooled"
    blocks: list = [
        Text(decisions.POOLED_NOTE),
        Table("The main trial's size: two scenarios for F", decisions.main_trial_view(rows), n),
        *[Text(line) for line in decisions.main_trial_inputs(ctx.exp.protocol)],
        Figure("Participants needed against the hazard ratio to detect",
               charts.fig_main_trial_sensitivity(decisions.sensitivity_frame(
                   rows, ctx.exp.protocol), cut=ctx.cut), n),
    ]
    return Section("The main trial's size", "main-trial", blocks)


def data_quality(ctx: Ctx) -> Section:
    """Data quality: rows per table, problems by table and severity, the first problems.

    The problems are those the report's role may read (:func:`quality.role_problems`):
    a problem names its record, so in the open report, and in a masked one (whose groups
    an arm value or an arm-numbered event would unmask), arm values, the arm's field and
    arm numbers of events are hidden."""
    exp = ctx.exp
    viewer = open_session(ctx.role) if ctx.masked else ctx.role
    probs, _ = role_problems(exp, viewer)
    counts = (probs.groupby(["table", "severity"]).size().rename("problems").reset_index()
              if len(probs) else pd.DataFrame(columns=["table", "severity", "problems"]))
    return Section("Data quality", "data-quality", [
        Text(f"{exp.n_errors} error(s) and {exp.n_warnings} warning(s); rows with errors "
             "were left out of every figure."),
        Table("Rows read per table", table_summary(exp, ctx.role), f"{len(exp.files)} tables"),
        Table("Problems by table and severity", counts, f"{len(probs):,} problems"),
        Table("Problems found", probs[["table", "line", "column", "severity", "message"]],
              f"{len(probs):,} problems", max_rows=200),
    ])


CHANGE_LISTS = (("randomized", "New randomizations"), ("saes", "New serious adverse events"),
                ("deaths", "New deaths"), ("sre", "New SREs"),
                ("deviations", "New protocol deviations"), ("edited", "Edited records"))


def changes(ctx: Ctx) -> Section:
    """Changes since the previous cut: new SAEs, deaths, SREs and deviations first."""
    title = "Changes since the previous data cut"
    if ctx.changes is None:
        return Section(title, "changes", [Text(
            "No previous data cut was given (save cuts on the DSMB report page, or pass "
            "--since CUT_FOLDER): nothing to compare with.")])
    ch = ctx.changes
    summary = pd.DataFrame([(t, len(ch.get(k, ()))) for k, t in CHANGE_LISTS],
                           columns=["Change", "Records"])
    blocks: list = [Text(f"Compared with the data cut saved as {ctx.since}. New serious "
                         "adverse events, deaths, SREs and deviations are listed in full."),
                    Table("Changes since the previous cut", summary, "records changed")]
    for key, t in CHANGE_LISTS:
        frame = ch.get(key)
        if frame is not None and len(frame):
            blocks.append(Table(t, _with_group(with_dates(frame), ctx), f"{len(frame):,} records",
                                max_rows=ctx.listing_rows))
    return Section(title, "changes", blocks)


SECTIONS = (status_and_schema, enrollment, screening_failures, consort, baseline, treatment,
            protocol_deviations, retention_adherence, progression_criteria, sre_outcomes,
            every_sre, pain_response, safety_section, safety_rule_section, main_trial_section,
            data_quality, changes)
