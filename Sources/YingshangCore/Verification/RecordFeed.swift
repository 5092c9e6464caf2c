import Foundation

/// Case records pushed by a department's system (一网通办, 工程建设项目审批系统) as JSON instead of a file: the same
/// checks as the file import (`RecordParsing`), all-or-nothing per batch, each problem named by its record.
public struct FeedRecord: Codable, Equatable, Sendable {
    public var caseID: String
    public var uscc: String
    /// `YYYY-MM-DD` (a time after the date is ignored, as in the file import).
    public var appliedOn: String
    public var completedOn: String
    /// Fees in fen (分), an integer: money never travels as a decimal fraction.
    public var feeFen: Int?
    /// Counts named by the indicator's schema (`steps`, `documents`).
    public var counts: [String: Int]?

    public init(caseID: String, uscc: String, appliedOn: String, completedOn: String, feeFen: Int? = nil, counts: [String: Int]? = nil) {
        self.caseID = caseID
        self.uscc = uscc
        self.appliedOn = appliedOn
        self.completedOn = completedOn
        self.feeFen = feeFen
        self.counts = counts
    }
}

public enum RecordFeed {
    /// Records per batch: a day of a county's cases fits many times over; larger pushes are split by the client.
    public static let maxRecords = 5_000

    /// An idempotency key: 1–100 characters of letters, digits and `-_.:`, chosen by the client per batch.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 100
            && key.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSetASCII.alnum($0) || "-_.:".unicodeScalars.contains($0)) }
    }

    /// Problems keyed `records[i]` (0-based, as in the JSON) with a Chinese message; no records unless all are valid.
    public static func parse(_ records: [FeedRecord], schema: RecordSchema) -> (records: [CaseRecord], problems: [String: String]) {
        if records.isEmpty { return ([], ["records": "没有记录"]) }
        if records.count > maxRecords { return ([], ["records": "一批最多 \(maxRecords) 条记录，请分批推送"]) }
        var problems: [String: String] = [:]
        let countKeys = schema.countColumns.map(\.key)
        let header = ["case_id", "uscc", "applied", "completed", "fee"] + countKeys
        var rows: [[String]] = [header]
        var seen: [String: Int] = [:]
        for (i, r) in records.enumerated() {
            let id = r.caseID.trimmingCharacters(in: .whitespaces)
            if let first = seen[id], !id.isEmpty {
                problems["records[\(i)]", default: ""] += "办件编号“\(id.prefix(64))”与 records[\(first)] 重复；"
            } else {
                seen[id] = i
            }
            var fee = ""
            if let f = r.feeFen {
                if f < 0 || f >= 10_000_000_000 { problems["records[\(i)]", default: ""] += "feeFen 应为 0 至 99,999,999.99 元对应的分数；" }
                fee = "\(f / 100).\(String(format: "%02d", f % 100))"
            }
            for key in (r.counts ?? [:]).keys.sorted() where !countKeys.contains(key) {
                problems["records[\(i)]", default: ""] += "counts 中的 \(key) 不是本指标的计数项（可用：\(countKeys.joined(separator: "、"))）；"
            }
            rows.append([r.caseID, r.uscc, r.appliedOn, r.completedOn, fee] + countKeys.map { k in r.counts?[k].map(String.init) ?? "" })
        }
        if !problems.isEmpty { return ([], problems.mapValues { String($0.dropLast()) }) }
        let parsed = RecordParsing.parse(rows, schema: schema, maxRows: maxRecords)
        for p in parsed.problems {
            // Row 2 of the table is records[0].
            let key = p.row >= 2 ? "records[\(p.row - 2)]" : "records"
            let text = "\(p.column)“\(String(p.value.prefix(RowProblem.quotedCharacters)))”\(p.reason)"
            problems[key] = problems[key].map { $0 + "；" + text } ?? text
        }
        return problems.isEmpty ? (parsed.records, [:]) : ([], problems)
    }
}

/// ASCII classes without Foundation.
enum CharacterSetASCII {
    static func alnum(_ s: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(s) || ("a"..."z").contains(s) || ("A"..."Z").contains(s)
    }
}
