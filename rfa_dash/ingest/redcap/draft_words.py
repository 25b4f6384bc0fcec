"""The words ``redcap-mapping`` matches a project's forms, events, fields and choices on
(:mod:`.draft`): data, one place to add a language's or a site's words.

A pattern is a regular expression searched in the lower-case name or label (labels
without their markup, their first 1,000 characters); none has a look-ahead, so each
search is linear in the text.
"""

# table -> (pattern on form and event names, pattern on their labels)
TABLE_WORDS = {
    "screening": r"screen|eligib|enrol|demograph|baseline|consent|regist",
    "randomization": r"random|alloc|enrol|baseline|regist|treat",
    "visits": r"visit|follow|month|week",
    "sre_events": r"sre|skeletal|fracture",
    "offstudy": r"off|withdr|termin|complet|final|end_of|end of|death|exit",
    "adverse_events": r"adverse|\bae\b|^ae_|_ae$|toxic",
    "deviations": r"deviat|violat",
}

# (table, column) -> (name pattern, label pattern); columns not here match on their own
# name's words
COLUMN_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("screening", "screen_date"): (r"scr.*date|screen.*date|date_?enrol|enrol.*date",
                                   r"screen|enrol|consent|registration"),
    ("screening", "age"): (r"^age$|_age$|^age_", r"\bage\b"),
    ("screening", "sex"): (r"sex|gender", r"\bsex\b|gender"),
    ("screening", "weight_kg"): (r"weight|^wt", r"weight"),
    ("screening", "consent_date"): (r"consent.*date|date.*consent|date_?enrol",
                                    r"consent"),
    ("screening", "consented"): (r"^consent(ed)?(_yn)?$", r"consent"),
    ("screening", "platelets"): (r"plt|platelet", r"platelet"),
    ("screening", "hemoglobin"): (r"hgb|hemoglobin|haemoglobin|\bhb\b", r"h(a)?emoglobin"),
    ("screening", "bilirubin"): (r"bili", r"bilirubin"),
    ("screening", "creatinine"): (r"creat", r"creatinine"),
    ("screening", "albumin"): (r"^alb|_alb$|albumin", r"albumin"),
    ("randomization", "randomization_date"): (r"rand.*date|date.*rand|alloc.*date|date_?enrol",
                                              r"random|alloc|enrol"),
    ("randomization", "arm"): (r"^arm$|_arm$|group|alloc", r"\barm\b|group|allocat"),
    ("randomization", "treatment_date"): (r"(tx|treat|proc).*date|date.*(tx|treat|proc)",
                                          r"treat|procedure"),
    ("randomization", "pain_nrs"): (r"pain|nrs", r"pain"),
    ("randomization", "omed_mg"): (r"omed|opioid|morphine", r"opioid|morphine"),
    ("randomization", "primary_tumor"): (r"primary|tumou?r", r"primary"),
    ("randomization", "lesion_type"): (r"lesion", r"lesion"),
    ("visits", "visit_date"): (r"visit.*date|date.*visit|fu.*date", r"visit|follow"),
    ("visits", "pain_nrs"): (r"pain|nrs", r"pain"),
    ("visits", "omed_mg"): (r"omed|opioid|morphine", r"opioid|morphine"),
    ("sre_events", "event_date"): (r"(sre|event|fract).*date|date.*(sre|event)",
                                   r"skeletal|event"),
    ("sre_events", "sre_type"): (r"sre.*type|type.*sre|sre_?kind", r"type"),
    ("sre_events", "spine_level"): (r"level", r"level"),
    ("offstudy", "off_study_date"): (r"(off|withdr|termin|death|end|exit).*date|"
                                     r"date.*(off|withdr|termin|death|exit)",
                                     r"withdr|off study|termination|death|end of study"),
    ("offstudy", "reason"): (r"reason|cause", r"reason|why"),
    ("adverse_events", "onset_date"): (r"(ae|onset|start).*date|onset", r"onset|start"),
    ("adverse_events", "term"): (r"term|ae_?desc|ae_?name", r"term|adverse event"),
    ("adverse_events", "grade"): (r"grade|sever", r"grade|severity"),
    ("adverse_events", "serious"): (r"serious|sae", r"serious"),
    ("adverse_events", "related"): (r"relat|attrib|causal", r"relat|attribut"),
    ("adverse_events", "soc"): (r"soc|organ", r"organ class"),
    ("deviations", "deviation_date"): (r"dev.*date|date.*dev", r"deviation"),
    ("deviations", "category"): (r"categ|dev.*type|type", r"category|type"),
    ("deviations", "important"): (r"import|major", r"important|major"),
    ("deviations", "description"): (r"desc|detail", r"descri"),
}

# contract code -> words of a choice's label that give it
CODE_WORDS = {
    ("screening", "sex"): {"F": r"^f|female|woman", "M": r"^m|male|\bman\b"},
    ("offstudy", "reason"): {"death": r"death|died|deceas|expired",
                             "lost_to_follow_up": r"lost",
                             "study_completed": r"complet",
                             "withdrawal": r"withdr|consent|refus|wish|non-?compl|opt"},
    ("sre_events", "sre_type"): {"pathologic_fracture": r"fractur",
                                 "cord_compression": r"cord",
                                 "nerve_root_compression": r"nerve|radicul",
                                 "pain_instability": r"pain|instab",
                                 "surgery": r"surg",
                                 "repeat_rfa_ba": r"ablation|rfa",
                                 "repeat_rt": r"radiother|radiation|\brt\b"},
    ("randomization", "lesion_type"): {"lytic": r"lytic", "mixed": r"mixed"},
}
