# Reference values for rfa_dash's SRE statistics, computed with R.
#
# Packages: Debian's r-base-core, r-cran-survival, r-cran-cmprsk, r-cran-etm.
# Run from the repository root:  Rscript tests/reference/reference.R
# Inputs: tests/reference/{ties,sample,random}.csv (time, status, group;
# status 1 = SRE, 2 = death first, 0 = censored). Outputs, committed beside
# this script: cif_reference.csv and gray_reference.csv.
#
# cif_reference.csv: per dataset, group and event time, the Aalen-Johansen
# estimate from three independent implementations (cmprsk::cuminc,
# survival::survfit multi-state, etm::etm), etm's variance and its 95%
# complementary log-log interval (ci.fun = "cloglog").
suppressMessages({library(survival); library(cmprsk); library(etm)})
options(digits = 15)
out <- list(); tests <- list()
for (ds in c("ties", "sample", "random")) {
  d <- read.csv(file.path("tests/reference", paste0(ds, ".csv")))
  for (g in sort(unique(d$group))) {
    x <- d[d$group == g, ]
    if (!any(x$status == 1)) next
    x$id <- seq_len(nrow(x)); x$from <- 0
    x$to <- ifelse(x$status == 0, "cens", as.character(x$status))
    # etm needs exit > entry; participants censored at time 0 enter just before it
    x$entry <- -1; x$exit <- x$time
    tra <- matrix(FALSE, 3, 3, dimnames = list(c("0", "1", "2"), c("0", "1", "2")))
    tra[1, 2:3] <- TRUE
    fit <- etm(x[, c("id", "from", "to", "entry", "exit")], c("0", "1", "2"), tra, "cens",
               s = 0, covariance = TRUE)
    s <- summary(fit, ci.fun = "cloglog", level = 0.95)[["0 1"]]
    ci <- cuminc(x$time, x$status, cencode = 0)[[1]]
    cm <- timepoints(cuminc(x$time, x$status, cencode = 0), s$time)$est[1, ]
    sf <- survfit(Surv(time, factor(status, levels = 0:2)) ~ 1, data = x)
    ss <- summary(sf, times = s$time, extend = TRUE)$pstate
    col1 <- which(sf$states == "1")
    out[[length(out) + 1]] <- data.frame(
      dataset = ds, group = g, time = s$time, est_etm = s$P, est_cmprsk = as.numeric(cm),
      est_survfit = ss[, col1], var = s$var, lower = s$lower, upper = s$upper)
  }
  if (length(unique(d$group)) > 1) {
    t <- cuminc(d$time, d$status, d$group, cencode = 0)$Tests
    tests[[length(tests) + 1]] <- data.frame(dataset = ds, stat = t[1, "stat"],
                                            p = t[1, "pv"], df = t[1, "df"])
  }
}
write.csv(do.call(rbind, out), "tests/reference/cif_reference.csv", row.names = FALSE)
write.csv(do.call(rbind, tests), "tests/reference/gray_reference.csv", row.names = FALSE)
cat("wrote cif_reference.csv and gray_reference.csv\n")
