import Foundation
import Testing
@testable import YingshangCore

/// The stratified satisfaction index against R's survey package: the expected figures were printed by
/// `Rscript scripts/reference/stratified-index.R` (r-cran-survey 4.1: svydesign with strata, fpc and weights
/// N_h / r_h; svymean(deff = TRUE); qt(0.975, degf)). Nothing here was computed by the code under test.
@Suite("Stratified satisfaction index")
struct StratifiedEstimateTests {
    static let differing: [StratifiedEstimate.Stratum] = [
        .init(key: "A", population: 1200, planned: 20, values: [25, 50, 25, 0, 25, 50]),
        .init(key: "B", population: 600, planned: 10, values: [75, 100, 75, 50, 75, 100, 75, 75]),
        .init(key: "C", population: 150, planned: 6, values: [100, 75, 100, 100, 75, 100]),
        .init(key: "D", population: 50, planned: 4, values: [50, 75, 50, 25]),
    ]

    @Test("strata with different response rates: R's svymean, SE, t interval and design effect")
    func differingResponse() throws {
        let r = try #require(StratifiedEstimate.estimate(Self.differing))
        #expect(abs(r.mean - 49.0625) < 1e-9)
        #expect(abs((r.standardError ?? 0) - 4.919652039573) < 1e-9)
        #expect(r.degreesOfFreedom == 20)
        #expect(abs((r.halfWidth95 ?? 0) - 10.262214327817) < 1e-8)
        #expect(abs((r.designEffect ?? 0) - 0.633247632814) < 1e-9)
        #expect(r.respondents == 24)
        // Response rates beside the index: 6/20, 8/10, 6/6, 4/4.
        #expect(r.strata.map(\.responseRate) == [0.3, 0.8, 1.0, 1.0])
        // Weighting by the planned n_h instead (the old method) gives a different, biased figure.
        let planned = Self.differing.flatMap { s in s.values.map { ($0, Double(s.population) / Double(s.planned)) } }
        let biased = planned.reduce(0) { $0 + $1.0 * $1.1 } / planned.reduce(0) { $0 + $1.1 }
        #expect(abs(biased - r.mean) > 5)
    }

    @Test("a stratum with one respondent adds no variance (R: lonely.psu = remove); a census stratum's fpc is zero")
    func lonelyStratum() throws {
        let r = try #require(
            StratifiedEstimate.estimate([
                .init(key: "A", population: 300, planned: 12, values: [62.5, 75, 50, 87.5, 75, 62.5, 50, 100, 75]),
                .init(key: "B", population: 40, planned: 8, values: [37.5, 50, 25, 62.5, 50, 50, 37.5, 25]),
                .init(key: "C", population: 5, planned: 5, values: [100]),
            ]))
        #expect(abs(r.mean - 67.934782608696) < 1e-9)
        #expect(abs((r.standardError ?? 0) - 4.745547001253) < 1e-9)
        #expect(r.degreesOfFreedom == 15)
        #expect(abs((r.halfWidth95 ?? 0) - 10.114893999254) < 1e-8)
        #expect(abs((r.designEffect ?? 0) - 1.230507109587) < 1e-9)
        #expect(r.singleRespondentStrata == ["C"])
    }

    @Test("a stratum without respondents is listed, not estimated; no respondents at all gives no index")
    func emptyStrata() throws {
        let r = try #require(StratifiedEstimate.estimate(Self.differing + [.init(key: "E", population: 500, planned: 5, values: [])]))
        // E is left out of W_h: the estimate equals the one without it.
        #expect(abs(r.mean - 49.0625) < 1e-9)
        #expect(r.strata.last?.respondents == 0 && r.strata.last?.mean == nil && r.strata.last?.responseRate == 0)
        #expect(StratifiedEstimate.estimate([.init(key: "A", population: 10, planned: 2, values: [])]) == nil)
    }

    @Test("Student's t quantiles equal R's qt(0.975, df)", arguments: [
        (1.0, 12.706204736175), (2.0, 4.302652729749), (5.0, 2.570581835636), (12.0, 2.178812829667),
        (30.0, 2.042272456301), (120.0, 1.979930405082),
    ])
    func tQuantiles(df: Double, expected: Double) {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: df) - expected) < 1e-8)
    }
}

@Suite("Standard deviation for Neyman S_h")
struct SampleStandardDeviationTests {
    /// R: sd(c(100, 50, 75, 25)) = 32.27486; sd(c(100, 0)) = 70.71068.
    @Test("the sample standard deviation equals R's sd()")
    func sd() throws {
        #expect(abs(try #require(StratifiedEstimate.sampleStandardDeviation([100, 50, 75, 25])) - 32.27486) < 1e-5)
        #expect(abs(try #require(StratifiedEstimate.sampleStandardDeviation([100, 0])) - 70.71068) < 1e-5)
        #expect(StratifiedEstimate.sampleStandardDeviation([42]) == nil)
    }
}

@Suite("S_h from a register column")
struct ProxyDeviationTests {
    /// Expected values from R 4: sd(c(10, 20, 30, 45)) = 14.930394056; sd(c(100, 300)) = 141.421356237;
    /// sd(c(10, 20, 30, 45, 100, 300, 7)) = 104.900633254; sd(c(1e9+1, 1e9+2, 1e9+4, 1e9+8)) = 3.09569593683.
    @Test("per stratum equals R's sd(); a stratum with one number takes the frame's; text cells are counted, not used")
    func proxy() throws {
        var p = ProxyDeviations()
        for (stratum, cell) in [
            ("A", "10"), ("A", "２０"), ("A", " 30 "), ("A", "45"), ("B", "100"), ("B", "300"), ("B", "约50"), ("B", ""), ("C", "7"),
        ] { p.add(stratum: stratum, cell: cell) }
        #expect(p.notNumbers == 1)
        #expect(p.overall.count == 7)
        let sd = try #require(p.standardDeviations(for: ["A", "B", "C", "D"]))
        #expect(abs(try #require(sd["A"]) - 14.930394056) < 1e-8)
        #expect(abs(try #require(sd["B"]) - 141.421356237) < 1e-8)
        #expect(abs(try #require(sd["C"]) - 104.900633254) < 1e-8)
        #expect(abs(try #require(sd["D"]) - 104.900633254) < 1e-8)
        #expect(p.missing(from: ["A", "B", "C", "D"]) == ["C", "D"])
    }

    @Test("large values with a small spread keep their precision (Σx² − (Σx)²/n would not)")
    func precision() throws {
        var m = RunningMoments()
        for x in [1e9 + 1, 1e9 + 2, 1e9 + 4, 1e9 + 8] { m.add(x) }
        #expect(abs(try #require(m.sampleStandardDeviation) - 3.09569593683) < 1e-6)
        var one = RunningMoments()
        one.add(5)
        #expect(one.sampleStandardDeviation == nil)
        #expect(ProxyDeviations().standardDeviations(for: ["A"]) == nil)
    }
}
