"""The pages: one registry that the router, the page headers, the protocol check and the
tests read.

A page is a script ``pages/<key>.py`` (see :mod:`rfa_dash.ui.multipage` for why
the folder stays). A role opens the pages its ``pages`` list in the protocol
file names; a name that is not a key here is an error when the protocol loads.

Example
-------
>>> PAGES["sre"].heading, PAGES["sre"].file
('Skeletal-related events', 'pages/sre.py')
>>> PAGES["overview"].url_path, PAGES["data_quality"].url_path
('', 'data_quality')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the dashboard.

    Attributes
    ----------
    key : str
        The name roles use in the protocol file; the script is ``pages/<key>.py``.
    nav : str
        Its title in the navigation.
    heading : str
        The title at the top of the page.
    icon : str
        A Material icon, as Streamlit names it.
    tabs : str or None
        The widget key of the page's detail tabs (drawn only while open), if any.
    """

    key: str
    nav: str
    heading: str
    icon: str
    tabs: str | None = None

    @property
    def file(self) -> str:
        """The page script, relative to the project's root."""
        return f"pages/{self.key}.py"

    @property
    def default(self) -> bool:
        """The page a session opens on (served at ``/``)."""
        return self.key == DEFAULT

    @property
    def url_path(self) -> str:
        """Where the page is served ("" for the default page, else its key)."""
        return "" if self.default else self.key


DEFAULT = "overview"

PAGES: dict[str, Page] = {p.key: p for p in (
    Page("overview", "Overview", "Overview", ":material/dashboard:"),
    Page("progression", "Progression", "Pilot progression criteria", ":material/flag:",
         "progression_tab"),
    Page("eligibility", "Eligibility", "Eligibility and screening", ":material/filter_alt:",
         "elig_tab"),
    Page("accrual", "Accrual", "Accrual", ":material/trending_up:"),
    Page("balance", "Arm balance", "Arm balance", ":material/balance:", "balance_tab"),
    Page("visits", "Visit adherence", "Visit adherence", ":material/event_available:",
         "visits_tab"),
    Page("worklist", "Worklist", "Worklist", ":material/checklist:"),
    Page("sre", "SRE incidence", "Skeletal-related events", ":material/show_chart:",
         "sre_tab"),
    Page("pain", "Pain", "Pain and opioid use", ":material/healing:", "pain_tab"),
    Page("safety", "Safety", "Safety", ":material/health_and_safety:", "safety_tab"),
    Page("report", "DSMB report", "DSMB report", ":material/description:", "cut_tab"),
    Page("data_quality", "Data quality", "Data quality", ":material/rule:"),
    Page("participant", "Participant", "One participant's course", ":material/person_search:",
         "participant_tab"),
)}


def unknown_pages(names: tuple[str, ...]) -> list[str]:
    """The names in ``names`` that are no page of :data:`PAGES`."""
    return [n for n in names if n not in PAGES]
