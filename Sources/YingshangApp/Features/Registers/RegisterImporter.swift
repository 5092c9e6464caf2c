import Fluent
import SQLKit
import Vapor
import YingshangCore
import YingshangOffice

/// Imports a register file into a campaign's snapshot: decode (UTF-8/GB18030 CSV or XLSX), validate every row,
/// then insert all rows in one transaction — or, with `skipInvalid`, the valid rows only.
enum RegisterImporter {
    struct Outcome: Sendable {
        let imported: Int
        let problems: [RowProblem]
        let stored: Bool
    }

    /// Progress of running imports on this instance (rows validated / inserted), for the progress bar.
    final class Progress: @unchecked Sendable {
        static let shared = Progress()
        private let lock = NSLock()
        private var values: [UUID: (done: Int, total: Int)] = [:]

        func set(_ id: UUID, done: Int, total: Int) {
            lock.lock()
            values[id] = (done, total)
            lock.unlock()
        }

        func get(_ id: UUID) -> (done: Int, total: Int)? {
            lock.lock()
            defer { lock.unlock() }
            return values[id]
        }
    }

    static func rows(from data: Data, filename: String) throws -> [[String]] {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let sheets = try XLSX.read(data)
            return sheets.first?.rows.map { $0.map(\.string) } ?? []
        }
        guard let (text, _) = TextDecoding.decode(data) else {
            throw AppError.invalid(["file": "无法识别文件编码（支持 UTF-8 和 GB18030/GBK 的 CSV，或 XLSX）"])
        }
        return CSV.parse(text)
    }

    static func run(
        campaignID: UUID, data: Data, filename: String, skipInvalid: Bool, db: any Database, actor: User? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Outcome {
        let rows = try rows(from: data, filename: filename)
        var townships: [String: String] = [:]
        for r in try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all() {
            townships[r.name] = r.code
            townships[r.code] = r.code
        }
        let existing = Set(
            try await Enterprise.query(on: db).filter(\.$campaign.$id == campaignID).field(\.$uscc).all().map(\.uscc))
        let (records, problems) = EnterpriseRegister.validate(rows: rows, townships: townships, existing: existing)
        progress?(0, records.count)
        if !problems.isEmpty && !skipInvalid { return Outcome(imported: 0, problems: problems, stored: false) }
        guard let sql = db as? any SQLDatabase else { return Outcome(imported: 0, problems: problems, stored: false) }
        let batches = stride(from: 0, to: records.count, by: 200).map { Array(records[$0..<min($0 + 200, records.count)]) }
        try await db.writeTransaction { tx in
            guard let sqlTx = tx as? any SQLDatabase else { return }
            var done = 0
            for batch in batches {
                var insert = sqlTx.insert(into: Enterprise.schema).columns(
                    "id", "campaign_id", "uscc", "name", "township_code", "industry", "size", "status", "founded", "contact",
                    "phone", "extra")
                for (_, r) in batch {
                    let extra = String(decoding: (try? JSONEncoder().encode(r.extra)) ?? Data("{}".utf8), as: UTF8.self)
                    let values: [any SQLExpression] = [
                        SQLBind(UUID()), SQLBind(campaignID), SQLBind(r.uscc), SQLBind(r.name), SQLBind(r.townshipCode),
                        SQLBind(r.industry), SQLBind(r.size), SQLBind(r.status), SQLBind(r.founded?.description),
                        SQLBind(r.contact), SQLBind(r.phone), SQLBind(extra),
                    ]
                    insert = insert.values(values)
                }
                try await insert.run()
                done += batch.count
                progress?(done, records.count)
            }
            try await AuditLog.record(
                on: tx, req: nil, actor: actor, action: "import", entityType: "register", entityID: campaignID, before: noSnapshot,
                after: ["file": filename, "rows": String(records.count), "skipped": String(problems.count)])
        }
        _ = sql
        return Outcome(imported: records.count, problems: problems, stored: true)
    }

    /// The error report as CSV (UTF-8 with BOM for Excel).
    static func errorReport(_ problems: [RowProblem]) -> Data {
        CSVWriter.write([["行号", "列", "值", "原因"]] + problems.map { [String($0.row), $0.column, $0.value, $0.reason] })
    }
}
