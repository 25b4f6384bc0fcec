# Reference values for rfa_dash's mean cumulative number of SREs (Ghosh and Lin 2000,
# death terminal), computed with R's mets::recurrentMarginal.
#
# Packages: Debian's r-base-core and r-cran-mets (1.3.2 here).
# Run from the repository root:  Rscript tests/reference/recurrent_reference.R
# Input: tests/reference/recurrent_random.csv, in counting-process form (id, entry,
# time, status = 1 an event at time, death = 1 the follow-up ended with death), made by
# tests/reference/test_recurrent_reference.py's make_random (seed 20261204).
# Output, committed beside this script: recurrent_reference.csv (time, mu, se.mu at
# every jump time, and the Kaplan-Meier survival of death St).
#
# Ties: recurrentMarginal assumes every jump time is unique. Given tied events it
# takes them one after another, each with a risk set one smaller (two events among 4
# at risk give 1/4 + 1/3, not 2/4), where the data specification (and Ghosh and Lin)
# count them together (2/4). The random data set has no tied jump times, so R's
# values are the estimator's; tied events, events at a death and events at a
# censoring are checked against values computed by hand in
# tests/unit/test_recurrent_rules.py instead. At an event tied with a death both give
# the event the survival before the death (S(u-)), as the specification says.
suppressMessages(library(mets))
options(digits = 15)
d <- read.csv("tests/reference/recurrent_random.csv")
xr <- phreg(Surv(entry, time, status) ~ cluster(id), data = d)
dr <- phreg(Surv(entry, time, death) ~ cluster(id), data = d)
m <- recurrentMarginal(xr, dr, km = TRUE)
out <- data.frame(time = m$times, mu = m$mu, se = m$se.mu, St = m$St)
write.csv(out, "tests/reference/recurrent_reference.csv", row.names = FALSE)
