import Foundation

/// Synthetic counties with planted falsifications and clean cases, run through the same checks the assessor runs,
/// to measure recall on planted cases and the false-positive rate on clean ones (docs/benchmarks.md).
public enum IntegrityBenchmark {
    public struct Tally: Equatable, Sendable {
        public var planted = 0
        public var detected = 0
        public var clean = 0
        public var falsePositives = 0

        public var recall: Double { planted == 0 ? 1 : Double(detected) / Double(planted) }
        public var falsePositiveRate: Double { clean == 0 ? 0 : Double(falsePositives) / Double(clean) }
    }

    public struct Report: Sendable {
        public var byRule: [FlagRule: Tally] = [:]
        public var total: Tally {
            byRule.values.reduce(into: Tally()) {
                $0.planted += $1.planted
                $0.detected += $1.detected
                $0.clean += $1.clean
                $0.falsePositives += $1.falsePositives
            }
        }
    }

    static let subs: [(code: String, unit: String, typical: ClosedRange<Double>)] = [
        ("time", "工作日", 1.5...12), ("steps", "个", 3...7), ("documents", "份", 4...12),
    ]

    /// `plantRate` of the cases in each family carry a falsification.
    public static func run(seed: UInt64, counties: Int = 20, plantRate: Double = 0.2, calendar: WorkCalendar = WorkCalendar()) -> Report {
        var rng = SeededGenerator(seed: seed)
        var report = Report()
        func tally(_ rule: FlagRule, planted: Bool, flagged: Bool) {
            var t = report.byRule[rule] ?? Tally()
            if planted {
                t.planted += 1
                if flagged { t.detected += 1 }
            } else {
                t.clean += 1
                if flagged { t.falsePositives += 1 }
            }
            report.byRule[rule] = t
        }
        let schema = RecordSchema.all[0]
        let start = Day(year: 2022, month: 3, day: 1) ?? Day(ordinal: 0)
        for county in 0..<counties {
            for indicator in ["starting_business", "construction_permits", "getting_electricity"] {
                // Records: 40–120 cases around a county-specific typical value.
                let n = Int.random(in: 40...120, using: &rng)
                var typical: [String: Double] = [:]
                for s in subs { typical[s.code] = Double.random(in: s.typical, using: &rng) }
                var records: [CaseRecord] = []
                for i in 0..<n {
                    let applied = start.adding(days: Int.random(in: 0...250, using: &rng))
                    var done = applied
                    var need = max(0, Int((typical["time"] ?? 3) * Double.random(in: 0.6...1.4, using: &rng)))
                    while need > 0 {
                        done = done.adding(days: 1)
                        // Synthetic cases: a year the calendar lacks counts Monday–Friday here only.
                        if (try? calendar.isWorkday(done)) ?? !done.isWeekend { need -= 1 }
                    }
                    records.append(
                        CaseRecord(
                            caseID: "\(county)-\(indicator)-\(i)", uscc: "", appliedOn: applied, completedOn: done, feeFen: 0,
                            counts: [
                                "steps": max(1, Int(((typical["steps"] ?? 4) + Double.random(in: -1...1, using: &rng)).rounded())),
                                "documents": max(1, Int(((typical["documents"] ?? 6) + Double.random(in: -2...2, using: &rng)).rounded())),
                            ]))
                }
                let observed = Dictionary(
                    ((try? RecordStats.observed(records, schema: schema, calendar: calendar)) ?? []).map { ($0.subCode, $0) }, uniquingKeysWith: { a, _ in a })
                for s in subs {
                    guard let o = observed[s.code] else { continue }
                    let plant = Double.random(in: 0...1, using: &rng) < plantRate
                    let tol = Tolerance.default(unit: s.unit)
                    let filed: Double
                    if plant {
                        // Falsified: claims a markedly better value than the records show.
                        filed = s.unit == "工作日" ? (o.value * Double.random(in: 0.25...0.6, using: &rng) * 2).rounded() / 2 : max(1, o.value - Double(Int.random(in: 2...4, using: &rng)))
                    } else {
                        // Honest: the same figure, rounded the way filers write it.
                        filed = s.unit == "工作日" ? (o.value * 2).rounded() / 2 : o.value.rounded()
                    }
                    let flag = CrossChecks.compare(
                        rule: .recordMismatch, indicatorCode: indicator, subCode: s.code, subName: s.code, unitID: nil, filed: filed,
                        observed: o.value, cases: o.cases, basis: "业务数据", tolerance: tol)
                    tally(.recordMismatch, planted: plant, flagged: flag != nil)
                }
                // Survey: 15–40 respondents report working days around the real typical value.
                let respondents = Int.random(in: 15...40, using: &rng)
                let answers = (0..<respondents).map { _ in max(0.5, ((typical["time"] ?? 3) * Double.random(in: 0.5...1.6, using: &rng) * 2).rounded() / 2) }
                if let median = SurveyResults.median(answers) {
                    let plant = Double.random(in: 0...1, using: &rng) < plantRate
                    let honest = observed["time"].map { ($0.value * 2).rounded() / 2 } ?? median
                    let filed = plant ? max(0.5, (median * Double.random(in: 0.2...0.45, using: &rng) * 2).rounded() / 2) : honest
                    let flag = CrossChecks.compare(
                        rule: .surveyMismatch, indicatorCode: indicator, subCode: "time", subName: "time", unitID: nil, filed: filed,
                        observed: median, cases: respondents, basis: "企业问卷中位数", tolerance: surveyTolerance)
                    tally(.surveyMismatch, planted: plant, flagged: flag != nil)
                }
            }
            // Evidence: each unit attaches its own files; planted files are copied to another unit or indicator.
            var uses: [CrossChecks.EvidenceUse] = []
            var plantedHashes = Set<String>()
            let indicators = ["starting_business", "construction_permits", "getting_electricity", "paying_taxes", "registering_property"]
            for (u, ind) in indicators.enumerated() {
                for f in 0..<Int.random(in: 3...8, using: &rng) {
                    let sha = "c\(county)u\(u)f\(f)-\(rng.next())"
                    uses.append(.init(sha256: sha, name: "\(f).pdf", indicatorCode: ind, itemCode: "q\(f % 5 + 1)", unitID: "U\(u)", unitName: "U\(u)"))
                    // The same unit attaching one file to two items of one indicator is normal.
                    if Int.random(in: 0..<6, using: &rng) == 0 {
                        uses.append(.init(sha256: sha, name: "\(f).pdf", indicatorCode: ind, itemCode: "q\((f + 1) % 5 + 1)", unitID: "U\(u)", unitName: "U\(u)"))
                    }
                    if Double.random(in: 0...1, using: &rng) < plantRate / 2 {
                        let other = (u + Int.random(in: 1..<indicators.count, using: &rng)) % indicators.count
                        uses.append(.init(sha256: sha, name: "\(f).pdf", indicatorCode: indicators[other], itemCode: "q1", unitID: "U\(other)", unitName: "U\(other)"))
                        plantedHashes.insert(sha)
                    }
                }
            }
            let flagged = Set(CrossChecks.evidenceReuse(uses, indicatorNames: [:]).map { String($0.key.dropFirst("evidence_reuse|".count)) })
            for sha in Set(uses.map(\.sha256)) { tally(.evidenceReuse, planted: plantedHashes.contains(sha), flagged: flagged.contains(sha)) }

            // Survey answer sets: honest respondents vary; planted ones are filled in one stroke, or share one phone.
            let template = SurveyTemplate.standard(indicators: indicators.map { ($0, $0) })
            var sets: [CrossChecks.SurveyAnswerSet] = []
            var plantedIDs = Set<String>()
            for r in 0..<30 {
                let id = "c\(county)r\(r)"
                var a: [String: String] = [:]
                let plant = Double.random(in: 0...1, using: &rng) < plantRate / 2
                let satisfied = Int.random(in: 3...5, using: &rng)
                for ind in indicators {
                    if plant {
                        a["\(ind).satisfaction"] = "5"
                        a["\(ind).days"] = "1"
                    } else {
                        // Many honest enterprises give 5 everywhere; their days still differ between indicators.
                        a["\(ind).satisfaction"] = String(Double.random(in: 0...1, using: &rng) < 0.5 ? satisfied : Int.random(in: 2...5, using: &rng))
                        a["\(ind).days"] = String(Int.random(in: 1...15, using: &rng))
                    }
                }
                if plant { plantedIDs.insert(id) }
                sets.append(.init(responseID: id, enterpriseName: id, phone: "1380000\(county)\(String(format: "%03d", r))", answers: a))
            }
            let found = CrossChecks.surveyChecks(template, responses: sets).filter { $0.rule == .straightLining }.map(\.key)
            for s in sets { tally(.straightLining, planted: plantedIDs.contains(s.responseID), flagged: found.contains("straight_lining|\(s.responseID)")) }
        }
        return report
    }

    /// Survey answers are noisier than records: a wider tolerance (one working day or 50%).
    public static let surveyTolerance = Tolerance(absolute: 1, relative: 0.5)
}
