import Foundation

/// Departmental case records (业务数据 / 办件数据) and how they feed sub-indicators.
public enum Aggregation: String, Codable, CaseIterable, Sendable {
    case mean, median, p90

    public var chineseName: String {
        switch self {
        case .mean: return "平均值"
        case .median: return "中位数"
        case .p90: return "P90（90% 分位）"
        }
    }

    /// nil for no values. P90 is the nearest-rank 90th percentile.
    public func apply(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        switch self {
        case .mean: return s.reduce(0, +) / Double(s.count)
        case .median: return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        case .p90: return s[max(0, Int((0.9 * Double(s.count)).rounded(.up)) - 1)]
        }
    }
}

/// How one sub-indicator is measured from a case record.
public enum RecordMeasure: Codable, Equatable, Sendable {
    /// Working days from application to completion using the holiday calendar (a same-day case counts 0.5).
    case workdays
    /// A count column, e.g. steps or documents.
    case count(column: String)
    /// A money column in yuan, summed per case and compared in yuan (stored in fen).
    case fee
}

public struct RecordSchema: Sendable {
    public struct Measure: Sendable {
        public let subCode: String
        public let measure: RecordMeasure
        public let aggregation: Aggregation
    }

    public let indicatorCode: String
    public let nameZh: String
    /// Count columns beyond the fixed ones (case id, USCC, applied, completed, fee), with header aliases.
    public let countColumns: [(key: String, zh: String, aliases: [String])]
    public let measures: [Measure]

    /// Schemas for the three process indicators whose records counties usually hold.
    public static let all: [RecordSchema] = [
        RecordSchema(
            indicatorCode: "starting_business", nameZh: "开办企业",
            countColumns: [("steps", "环节数", ["环节", "steps"]), ("documents", "材料数", ["材料", "申请材料", "documents"])],
            measures: [
                Measure(subCode: "time", measure: .workdays, aggregation: .median),
                Measure(subCode: "steps", measure: .count(column: "steps"), aggregation: .median),
                Measure(subCode: "documents", measure: .count(column: "documents"), aggregation: .median),
                Measure(subCode: "cost", measure: .fee, aggregation: .mean),
            ]),
        RecordSchema(
            indicatorCode: "construction_permits", nameZh: "办理建筑许可",
            countColumns: [("steps", "环节数", ["环节", "steps"]), ("documents", "材料数", ["材料", "申请材料", "documents"])],
            measures: [
                Measure(subCode: "time", measure: .workdays, aggregation: .mean),
                Measure(subCode: "steps", measure: .count(column: "steps"), aggregation: .median),
                Measure(subCode: "documents", measure: .count(column: "documents"), aggregation: .median),
            ]),
        RecordSchema(
            indicatorCode: "getting_electricity", nameZh: "获得电力",
            countColumns: [("steps", "环节数", ["环节", "steps"]), ("documents", "材料数", ["材料", "申请材料", "documents"])],
            measures: [
                Measure(subCode: "time", measure: .workdays, aggregation: .mean),
                Measure(subCode: "steps", measure: .count(column: "steps"), aggregation: .median),
                Measure(subCode: "documents", measure: .count(column: "documents"), aggregation: .p90),
            ]),
    ]

    public static func schema(for code: String) -> RecordSchema? { all.first { $0.indicatorCode == code } }
}

public struct CaseRecord: Codable, Equatable, Sendable {
    public var caseID: String
    public var uscc: String
    public var appliedOn: Day
    public var completedOn: Day
    public var feeFen: Int
    public var counts: [String: Int]

    public init(caseID: String, uscc: String, appliedOn: Day, completedOn: Day, feeFen: Int, counts: [String: Int]) {
        self.caseID = caseID
        self.uscc = uscc
        self.appliedOn = appliedOn
        self.completedOn = completedOn
        self.feeFen = feeFen
        self.counts = counts
    }

    /// Working days after the application day through completion; a case completed on the day it was applied for
    /// counts as half a working day (the frontier of most time indicators is 0.5).
    public func workdays(_ calendar: WorkCalendar) throws -> Double {
        let n = try calendar.workdaysLate(due: appliedOn, today: completedOn)
        return n == 0 ? 0.5 : Double(n)
    }
}

public enum RecordParsing {
    static let fixed: [(key: String, zh: String, aliases: [String], required: Bool)] = [
        ("case_id", "办件编号", ["办件号", "业务编号", "case_id", "case id"], true),
        ("uscc", "统一社会信用代码", ["信用代码", "uscc"], true),
        ("applied", "申请日期", ["申请时间", "受理日期", "受理时间", "applied_at", "applied"], true),
        ("completed", "办结日期", ["办结时间", "completed_at", "completed"], true),
        ("fee", "费用（元）", ["费用", "收费", "fee", "fees"], false),
    ]

    /// Parses rows (header first). All-or-nothing: any problem means no records are returned to store.
    public static func parse(_ rows: [[String]], schema: RecordSchema, maxRows: Int = 200_000) -> (records: [CaseRecord], problems: [RowProblem]) {
        guard let header = rows.first else { return ([], [RowProblem(row: 1, column: "", value: "", reason: "文件为空")]) }
        func norm(_ s: String) -> String { s.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "\u{FEFF}", with: "") }
        let names = header.map(norm)
        var index: [String: Int] = [:]
        var problems: [RowProblem] = []
        let columns = fixed.map { ($0.key, $0.zh, $0.aliases, $0.required) } + schema.countColumns.map { ($0.key, $0.zh, $0.aliases, false) }
        for (key, zh, aliases, required) in columns {
            let candidates = ([zh] + aliases).map(norm) + [norm(zh.replacingOccurrences(of: "（元）", with: ""))]
            if let i = names.firstIndex(where: { candidates.contains($0) }) {
                index[key] = i
            } else if required {
                problems.append(RowProblem(row: 1, column: zh, value: "", reason: "缺少必需的列"))
            }
        }
        if !problems.isEmpty { return ([], problems) }
        let body = rows.dropFirst().enumerated().filter { !$0.element.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        if body.isEmpty { return ([], [RowProblem(row: 2, column: "", value: "", reason: "没有数据行")]) }
        if body.count > maxRows { return ([], [RowProblem(row: maxRows + 2, column: "", value: "", reason: "一次最多导入 \(maxRows) 行")]) }
        var out: [CaseRecord] = []
        var seen: [String: Int] = [:]
        for (offset, row) in body {
            let line = offset + 2
            func cell(_ key: String) -> String {
                guard let i = index[key], i < row.count else { return "" }
                return row[i].trimmingCharacters(in: .whitespaces)
            }
            var ok = true
            func fail(_ zh: String, _ value: String, _ reason: String) {
                problems.append(RowProblem(row: line, column: zh, value: value, reason: reason))
                ok = false
            }
            let caseID = cell("case_id")
            if caseID.isEmpty || caseID.count > 64 { fail("办件编号", caseID, "必填，不超过 64 个字符") }
            if let first = seen[caseID], !caseID.isEmpty { fail("办件编号", caseID, "与第 \(first) 行重复") } else { seen[caseID] = line }
            // One rule for every import (docs/methods.md): the code as written, upper case only, as the register import.
            let uscc = cell("uscc")
            if let p = USCC.validate(uscc) { fail("统一社会信用代码", uscc, p.message) }
            let applied = dayPrefix(cell("applied"))
            let completed = dayPrefix(cell("completed"))
            if applied == nil { fail("申请日期", cell("applied"), "日期格式应为 YYYY-MM-DD") }
            if completed == nil { fail("办结日期", cell("completed"), "日期格式应为 YYYY-MM-DD") }
            if let a = applied, let c = completed, c < a { fail("办结日期", cell("completed"), "早于申请日期") }
            var fee = 0
            let feeText = cell("fee")
            if !feeText.isEmpty {
                if let f = yuanToFen(feeText) { fee = f } else { fail("费用（元）", feeText, "应为不小于 0 的金额，最多两位小数") }
            }
            var counts: [String: Int] = [:]
            for c in schema.countColumns where index[c.key] != nil {
                let v = cell(c.key)
                if v.isEmpty { continue }
                if let n = Int(v), n >= 0, n < 10_000 { counts[c.key] = n } else { fail(c.zh, v, "应为不小于 0 的整数") }
            }
            if ok, let a = applied, let c = completed {
                out.append(CaseRecord(caseID: caseID, uscc: uscc, appliedOn: a, completedOn: c, feeFen: fee, counts: counts))
            }
            if problems.count >= 200 { break }
        }
        return problems.isEmpty ? (out, []) : ([], problems)
    }

    /// Accepts `2022-03-01`, `2022-03-01 09:30` and `2022/3/1`.
    static func dayPrefix(_ s: String) -> Day? {
        let date = s.split(separator: " ").first.map(String.init) ?? s
        if let d = Day(date) { return d }
        let parts = date.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return Day(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Yuan text to fen without floating-point rounding.
    public static func yuanToFen(_ s: String) -> Int? {
        let t = s.replacingOccurrences(of: ",", with: "")
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0]), whole >= 0, whole < 100_000_000 else { return nil }
        var frac = 0
        if parts.count == 2 {
            let f = String(parts[1])
            guard f.count <= 2, f.allSatisfy(\.isNumber), !f.isEmpty else { return nil }
            frac = Int(f.count == 1 ? f + "0" : f) ?? 0
        }
        return whole * 100 + frac
    }
}

/// The value observed in the records for a sub-indicator.
public struct ObservedValue: Codable, Equatable, Sendable {
    public let subCode: String
    public let value: Double
    public let cases: Int
    public let aggregation: Aggregation
}

public enum RecordStats {
    public static func observed(_ records: [CaseRecord], schema: RecordSchema, calendar: WorkCalendar) throws -> [ObservedValue] {
        try schema.measures.compactMap { m in
            let values: [Double]
            switch m.measure {
            case .workdays: values = try records.map { try $0.workdays(calendar) }
            case .count(let column): values = records.compactMap { $0.counts[column].map(Double.init) }
            case .fee: values = records.map { Double($0.feeFen) / 100 }
            }
            return m.aggregation.apply(values).map { ObservedValue(subCode: m.subCode, value: $0, cases: values.count, aggregation: m.aggregation) }
        }
    }
}
