#!/usr/bin/env Rscript
# Independent reference for the stratified satisfaction index (docs/methods.md). Uses R's survey package
# (Debian: r-cran-survey) and prints, per data set, the estimate, its standard error, degrees of freedom, the 95%
# interval's half-width with Student's t, and the design effect, which Tests/YingshangCoreTests/
# StratifiedEstimateTests.swift asserts. Run: Rscript scripts/reference/stratified-index.R
suppressMessages(library(survey))
options(survey.lonely.psu = "remove", digits = 15)

sets <- list(
  # Four strata, response rates from 30% to 100%: weighting by planned n_h instead of respondents r_h biases this.
  differing_response = list(
    N = c(A = 1200, B = 600, C = 150, D = 50),
    planned = c(A = 20, B = 10, C = 6, D = 4),
    y = list(A = c(25, 50, 25, 0, 25, 50), B = c(75, 100, 75, 50, 75, 100, 75, 75),
             C = c(100, 75, 100, 100, 75, 100), D = c(50, 75, 50, 25))),
  # One stratum with a single respondent (no within-stratum variance), and one stratum taken almost whole.
  lonely_and_census = list(
    N = c(A = 300, B = 40, C = 5),
    planned = c(A = 12, B = 8, C = 5),
    y = list(A = c(62.5, 75, 50, 87.5, 75, 62.5, 50, 100, 75), B = c(37.5, 50, 25, 62.5, 50, 50, 37.5, 25), C = c(100)))
)

for (name in names(sets)) {
  s <- sets[[name]]
  rows <- do.call(rbind, lapply(names(s$y), function(h) {
    data.frame(stratum = h, y = s$y[[h]], N = s$N[[h]], w = s$N[[h]] / length(s$y[[h]]))
  }))
  des <- svydesign(ids = ~1, strata = ~stratum, fpc = ~N, weights = ~w, data = rows)
  m <- svymean(~y, des, deff = TRUE)
  df <- degf(des)
  half <- qt(0.975, df) * SE(m)[1]
  cat(sprintf("%s mean=%.12f se=%.12f df=%d half=%.12f deff=%.12f qt=%.12f\n",
              name, coef(m)[1], SE(m)[1], df, half, deff(m)[1], qt(0.975, df)))
}
for (df in c(1, 2, 5, 12, 30, 120)) cat(sprintf("qt(0.975, %d) = %.12f\n", df, qt(0.975, df)))
