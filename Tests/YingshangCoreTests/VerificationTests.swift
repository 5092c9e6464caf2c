import Foundation
import Testing
@testable import YingshangCore

@Suite("Verification: business records, cross-checks, integrity benchmark")
struct VerificationTests {
    static func day(_ s: String) -> Day { Day(s) ?? Day(ordinal: 0) }

    /// 2022 National Day: 10-01…10-07 off, 10-08 (Sat) and 10-09 (Sun) are 调休 workdays.
    static let calendar = WorkCalendar(
        holidays: Set((1...7).map { day(String(format: "2022-10-%02d", $0)) }), makeUpWorkdays: [day("2022-10-08"), day("2022-10-09")])

    func record(_ a: String, _ c: String) -> CaseRecord {
        CaseRecord(caseID: "x", uscc: "", appliedOn: Self.day(a), completedOn: Self.day(c), feeFen: 0, counts: [:])
    }

    @Test("working days between application and completion: weekends, holidays, 调休, same day")
    func workdays() throws {
        #expect(try record("2022-03-01", "2022-03-01").workdays(Self.calendar) == 0.5)  // same day
        #expect(try record("2022-03-04", "2022-03-07").workdays(Self.calendar) == 1)  // Fri → Mon skips the weekend
        #expect(try record("2022-09-30", "2022-10-10").workdays(Self.calendar) == 3)  // holiday week off; Sat 8, Sun 9 and Mon 10 worked
        #expect(try record("2022-09-29", "2022-10-07").workdays(Self.calendar) == 1)  // only the 30th
        #expect(try record("2022-03-05", "2022-03-06").workdays(Self.calendar) == 0.5)  // a weekend case counts as same-day
    }

    @Test("aggregations: mean, median, nearest-rank P90")
    func aggregations() {
        let v = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        #expect(Aggregation.mean.apply(v) == 5.5)
        #expect(Aggregation.median.apply(v) == 5.5)
        #expect(Aggregation.median.apply([3, 1, 2]) == 2)
        #expect(Aggregation.p90.apply(v) == 9)
        #expect(Aggregation.p90.apply([4]) == 4)
        #expect(Aggregation.mean.apply([]) == nil)
    }

    static let header = "办件编号,统一社会信用代码,申请日期,办结日期,环节数,材料数,费用（元）"

    @Test("credit codes follow the register's rule in the records import too: lower case is refused, not silently upper-cased")
    func creditCodeRule() throws {
        let schema = try #require(RecordSchema.schema(for: "starting_business"))
        let lower = RecordParsing.parse(CSV.parse(Self.header + "\nA1,91350100m000100Y43,2022-03-01,2022-03-02,4,5,1\n"), schema: schema)
        #expect(lower.records.isEmpty)
        #expect(lower.problems.first?.reason.contains("第 9 位字符“m”不合法") == true, "\(lower.problems)")
        // A huge bad cell is quoted back short.
        let huge = String(repeating: "9", count: 100_000)
        let long = RecordParsing.parse(CSV.parse(Self.header + "\nA1,\(huge),2022-03-01,2022-03-02,4,5,1\n"), schema: schema)
        #expect(long.problems.first?.value == String(repeating: "9", count: 100) + "…（共 100000 个字符）")
        let upper = RecordParsing.parse(CSV.parse(Self.header + "\nA1,91350100M000100Y43,2022-03-01,2022-03-02,4,5,1\n"), schema: schema)
        #expect(upper.problems.isEmpty && upper.records.count == 1)
        // The register import gives the same verdict on the same code.
        #expect(USCC.validate("91350100m000100Y43") == .forbiddenCharacter("m", position: 9))
    }

    @Test("records: Chinese headers in any order, money in fen, all-or-nothing with row and column named")
    func parsing() throws {
        let schema = try #require(RecordSchema.schema(for: "starting_business"))
        let good = CSV.parse("材料数,办件编号,申请时间,办结时间,信用代码,环节,费用\n5,A1,2022-03-01 09:30,2022/3/2,91350100M000100Y43,4,12.5\n4,A2,2022-03-01,2022-03-01,91110000802100433B,3,\n")
        let parsed = RecordParsing.parse(good, schema: schema)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.records.count == 2)
        #expect(parsed.records[0].feeFen == 1250 && parsed.records[0].counts == ["steps": 4, "documents": 5])
        #expect(parsed.records[1].feeFen == 0)
        let observed = try RecordStats.observed(parsed.records, schema: schema, calendar: Self.calendar)
        #expect(observed.first { $0.subCode == "time" } == ObservedValue(subCode: "time", value: 0.75, cases: 2, aggregation: .median))
        #expect(observed.first { $0.subCode == "cost" }?.value == 6.25)

        let bad = CSV.parse(Self.header + "\nA1,91350100M000100Y43,2022-03-05,2022-03-01,4,5,1\nA1,911100001000013796,2022-02-30,2022-03-01,-1,5,1.234\nA3,91440300708461136T,2022-03-01,2022-03-02,4,5,10")
        let r = RecordParsing.parse(bad, schema: schema)
        #expect(r.records.isEmpty)
        let messages = r.problems.map(\.message)
        #expect(messages.contains { $0.hasPrefix("第 2 行“办结日期”") && $0.contains("早于申请日期") })
        #expect(messages.contains { $0.hasPrefix("第 3 行“办件编号”") && $0.contains("与第 2 行重复") })
        #expect(messages.contains { $0.hasPrefix("第 3 行“统一社会信用代码”") })
        #expect(messages.contains { $0.hasPrefix("第 3 行“申请日期”") })
        #expect(messages.contains { $0.hasPrefix("第 3 行“环节数”") })
        #expect(messages.contains { $0.hasPrefix("第 3 行“费用（元）”") })
        #expect(RecordParsing.parse(CSV.parse("办件编号,申请日期\nA1,2022-03-01"), schema: schema).problems.map(\.column).contains("统一社会信用代码"))
        #expect(RecordParsing.parse(CSV.parse(Self.header + "\n"), schema: schema).problems.first?.reason == "没有数据行")
        #expect(RecordParsing.yuanToFen("1,234.05") == 123_405 && RecordParsing.yuanToFen("0.1") == 10 && RecordParsing.yuanToFen("-1") == nil)
    }

    @Test("tolerance edges: exactly at the tolerance passes, just beyond is flagged")
    func tolerance() {
        let t = Tolerance(absolute: 0.5, relative: 0.2)
        #expect(t.allows(filed: 4, observed: 5))  // 20% of 5 = 1
        #expect(!t.allows(filed: 3.99, observed: 5))
        #expect(t.allows(filed: 1.5, observed: 1))  // absolute 0.5 beats 20% of 1
        #expect(!t.allows(filed: 0.49, observed: 1))
        let flag = CrossChecks.compare(
            rule: .recordMismatch, indicatorCode: "starting_business", subCode: "time", subName: "开办时间", unitID: "U", filed: 1, observed: 4,
            cases: 80, basis: "业务数据中位数", tolerance: Tolerance.default(unit: "工作日"))
        #expect(flag?.severity == .high && flag?.evidence.contains("80 件") == true)
        #expect(CrossChecks.compare(
            rule: .recordMismatch, indicatorCode: "s", subCode: "steps", subName: "环节", unitID: nil, filed: 4, observed: 5, cases: 3,
            basis: "业务数据", tolerance: Tolerance.default(unit: "个")) == nil)
    }

    @Test("evidence reuse: across units or indicators is flagged, one unit reusing a file within an indicator is not")
    func evidence() {
        func use(_ sha: String, _ ind: String, _ item: String, _ unit: String) -> CrossChecks.EvidenceUse {
            .init(sha256: sha, name: "f.pdf", indicatorCode: ind, itemCode: item, unitID: unit, unitName: unit)
        }
        let flags = CrossChecks.evidenceReuse(
            [use("a", "sb", "q1", "U1"), use("a", "sb", "q2", "U1"), use("b", "sb", "q1", "U1"), use("b", "tax", "q1", "U2"),
             use("c", "sb", "q3", "U1"), use("c", "cp", "q1", "U1")], indicatorNames: ["sb": "开办企业"])
        #expect(flags.map(\.key) == ["evidence_reuse|b", "evidence_reuse|c"])
        #expect(flags[0].severity == .high && flags[1].severity == .medium)
    }

    @Test("policy documents: issued after the cut-off are flagged, on the cut-off day are not")
    func policyDates() {
        let cutoff = Self.day("2022-09-30")
        let docs = [
            CrossChecks.DatedDocument(sha256: "a", name: "旧.pdf", issuedOn: Self.day("2022-09-30"), indicatorCode: "sb", unitID: "U1"),
            CrossChecks.DatedDocument(sha256: "b", name: "新.pdf", issuedOn: Self.day("2022-10-08"), indicatorCode: "sb", unitID: "U1"),
        ]
        let flags = CrossChecks.policyDates(docs, cutoff: cutoff)
        #expect(flags.map(\.key) == ["policy_after_cutoff|sb|b"])
        #expect(flags.first?.evidence.contains("2022-10-08") == true)
    }

    @Test("survey checks: straight-lining, implausible numbers, one phone for three or more respondents")
    func survey() {
        let codes = ["a", "b", "c", "d", "e"]
        let template = SurveyTemplate.standard(indicators: codes.map { ($0, $0) })
        var same: [String: String] = [:]
        var varied: [String: String] = [:]
        for (i, c) in codes.enumerated() {
            same["\(c).satisfaction"] = "5"
            same["\(c).days"] = "1"
            varied["\(c).satisfaction"] = "5"
            varied["\(c).days"] = String(i + 1)
        }
        varied["a.days"] = "400"
        let sets = [
            CrossChecks.SurveyAnswerSet(responseID: "r1", enterpriseName: "甲", phone: "13800000001", answers: same),
            CrossChecks.SurveyAnswerSet(responseID: "r2", enterpriseName: "乙", phone: "13800000001", answers: varied),
            CrossChecks.SurveyAnswerSet(responseID: "r3", enterpriseName: "丙", phone: "13800000001", answers: ["a.days": "2"]),
            CrossChecks.SurveyAnswerSet(responseID: "r4", enterpriseName: "丁", phone: "13800000002", answers: ["a.days": "2"]),
            CrossChecks.SurveyAnswerSet(responseID: "r5", enterpriseName: "戊", phone: "13800000002", answers: ["a.days": "2"]),
        ]
        let flags = CrossChecks.surveyChecks(template, responses: sets)
        #expect(flags.filter { $0.rule == .straightLining }.map(\.key) == ["straight_lining|r1"])
        #expect(flags.filter { $0.rule == .outOfRange }.map(\.key) == ["out_of_range|r2|a.days"])
        #expect(flags.filter { $0.rule == .duplicateContact }.map(\.key) == ["duplicate_contact|13800000001"])
    }

    @Test("integrity benchmark: ≥ 95% of planted falsifications found, ≤ 5% of clean cases flagged", arguments: [1, 2, 3] as [UInt64])
    func integrity(seed: UInt64) {
        let report = IntegrityBenchmark.run(seed: seed, counties: 20, calendar: Self.calendar)
        let total = report.total
        #expect(total.planted > 100 && total.clean > 1000)
        #expect(total.recall >= 0.95, "recall \(total.recall)")
        #expect(total.falsePositiveRate <= 0.05, "false positives \(total.falsePositiveRate)")
        for (rule, t) in report.byRule {
            #expect(t.planted > 0, "\(rule) has no planted case")
        }
    }
}
