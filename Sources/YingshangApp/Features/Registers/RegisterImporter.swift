import Fluent
import SQLKit
import SQLiteNIO
import PostgresKit
import Vapor
import YingshangCore
import YingshangOffice

/// Imports a register file into a campaign's snapshot: decode (UTF-8/GB18030 CSV or XLSX), validate every row,
/// then insert all rows in one transaction — or, with `skipInvalid`, the valid rows only.
enum RegisterImporter {
    struct Outcome: Sendable {
        let imported: Int
        /// The first 1,000 problems (`maxProblems`), for the error list.
        let problems: [RowProblem]
        let stored: Bool
        /// Rows left out for their problems (with `skipInvalid`), and every problem found, listed or not.
        var skippedRows = 0
        var problemTotal = 0

        /// What the import did, in a sentence for the job page and the CLI.
        var summary: String {
            let more = problemTotal > problems.count ? "（列出前 \(problems.count) 处）" : ""
            if stored {
                return "已导入 \(imported) 家企业" + (skippedRows == 0 ? "" : "，跳过有错误的 \(skippedRows) 行，共 \(problemTotal) 处错误" + more)
            }
            // A refused import stops checking at the 1,000th problem: there may be more.
            let count = problems.count >= RegisterImporter.maxProblems ? "至少 \(problems.count)" : "\(problems.count)"
            return "发现 \(count) 处错误，未导入任何企业"
        }
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

    /// Where the file comes from: an upload held in memory, or a path the CLI reads a piece at a time.
    enum Source: Sendable {
        case data(Data)
        case file(String)

        var workbook: XLSX.Source {
            switch self {
            case .data(let data): return .data(data)
            case .file(let path): return .file(URL(fileURLWithPath: path))
            }
        }
    }

    /// A failed all-or-nothing import: thrown inside the transaction so nothing inserted stays.
    private struct Rejected: Error {
        let problems: [RowProblem]
        var total = 0
    }

    static let chunkSize = 4 << 20
    static let maxProblems = 1000
    /// Below this many rows the unique index is kept up row by row; above, dropped and built once at the end.
    static let rebuildIndexRows = 50_000

    static func run(
        campaignID: UUID, data: Data, filename: String, skipInvalid: Bool, db: any Database, actor: User? = nil,
        rebuildIndexAbove: Int = rebuildIndexRows, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Outcome {
        try await run(
            campaignID: campaignID, source: .data(data), filename: filename, skipInvalid: skipInvalid, db: db, actor: actor,
            rebuildIndexAbove: rebuildIndexAbove, progress: progress)
    }

    /// Reads, validates and inserts in one pass inside one transaction: UTF-8 CSV is parsed chunk by chunk and rows
    /// are inserted a chunk at a time, so memory stays flat however large the file. Any invalid row (without
    /// `skipInvalid`) rolls the whole transaction back; the problems are collected (up to 1,000) for the error list.
    static func run(
        campaignID: UUID, source: Source, filename: String, skipInvalid: Bool, db: any Database, actor: User? = nil,
        rebuildIndexAbove: Int = rebuildIndexRows, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Outcome {
        let head = try readHead(source)
        let input: RegisterBatchProducer.Input
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            input = .xlsx(source)
        } else if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            input = .utf8(source, skip: 3)
        } else if isUTF8Prefix(head) {
            input = .utf8(source, skip: 0)
        } else if isGB18030Prefix(head) {
            input = .gb18030(source)
        } else {
            throw AppError.invalid(["file": "无法识别文件编码（支持 UTF-8 和 GB18030/GBK 的 CSV，或 XLSX）"])
        }
        let estimate: Int
        if case .xlsx = input {
            // The first bytes of a zip say nothing about its rows; the sheet's declared dimension does.
            estimate = XLSX.estimatedRows(of: source.workbook) ?? 1
        } else {
            estimate = estimateRows(head: head, total: try size(source))
        }
        var townships: [String: String] = [:]
        for r in try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all() {
            townships[r.name] = r.code
            townships[r.code] = r.code
        }
        let known = townships
        do {
            let outcome = try await db.writeTransaction { tx in
                guard let sql = tx as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
                let store = try RegisterStores.on(tx)
                try await store.beginImport(campaignID: campaignID)
                let snapshot = try await RegisterSnapshot.ensure(campaignID, on: tx, partition: false)
                // Read under the locks above (SQLite: the write lock), so a concurrent import's codes count as existing.
                let existing = try await existingCodes(campaignID, on: tx)
                // Made inside the transaction: if a busy database makes `writeTransaction` run this again, the file is
                // read again from its first row.
                let producer = RegisterBatchProducer(
                    input: input, townships: known, existing: existing, skipInvalid: skipInvalid, estimate: estimate, progress: progress)
                let imported = try await store.load(snapshot: snapshot, producer: producer, rebuildIndexAbove: rebuildIndexAbove)
                if producer.rowNumber <= 1 { throw Rejected(problems: [RowProblem(row: 1, column: "表头", value: "", reason: "文件为空")]) }
                if let missing = producer.missingColumns { throw Rejected(problems: missing) }
                if !producer.problems.isEmpty && !skipInvalid {
                    throw Rejected(problems: producer.problems, total: producer.problemTotal)
                }
                try await RegisterCounts.add(producer.tally, snapshot: snapshot, on: sql)
                progress?(producer.rowNumber - 1, producer.rowNumber - 1)
                try await AuditLog.record(
                    on: tx, req: nil, actor: actor, action: "import", entityType: "register", entityID: campaignID, before: noSnapshot,
                    after: ["file": filename, "rows": String(imported), "skipped": String(producer.invalidRows)])
                return Outcome(
                    imported: imported, problems: producer.problems, stored: true,
                    skippedRows: producer.invalidRows, problemTotal: producer.problemTotal)
            }
            return outcome
        } catch let rejected as Rejected {
            return Outcome(
                imported: 0, problems: rejected.problems, stored: false, problemTotal: max(rejected.total, rejected.problems.count))
        }
    }

    /// The snapshot's credit codes, packed while the rows stream by: adding 1,000 rows to a million-row register
    /// loaded a million models first (31 s, 2.7 GB).
    static func existingCodes(_ campaignID: UUID, on db: any Database) async throws -> Set<EnterpriseRegister.USCCKey> {
        guard let snapshot = try await RegisterSnapshot.number(of: campaignID, on: db) else { return [] }
        if let lite = db as? any SQLiteDatabase {
            return try await lite.withConnection { conn in
                try await onOwnThread {
                    guard let handle = SQLiteDirect.handle(of: conn) else { throw AppError.conflict("无法取得 SQLite 连接") }
                    return try SQLiteDirect.codes(
                        handle: handle, sql: "SELECT uscc FROM enterprises WHERE snapshot_id = ?", binds: [String(snapshot)])
                }
            }
        }
        guard let sql = db as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
        // PostgreSQL streams the rows (with back-pressure), so only the packed set grows.
        final class Keys: @unchecked Sendable {
            var set = Set<EnterpriseRegister.USCCKey>()
        }
        let keys = Keys()
        // Rows arrive one after another on the connection's event loop, so the set is never touched concurrently.
        try await sql.select().column("uscc").from(Enterprise.schema).where("snapshot_id", .equal, SQLBind(snapshot)).run { row in
            if let code = try? row.decode(column: "uscc", as: String.self), let key = EnterpriseRegister.USCCKey(checking: code) {
                keys.set.insert(key)
            }
        }
        return keys.set
    }

    private static func readHead(_ source: Source) throws -> Data {
        switch source {
        case .data(let d): return d.prefix(65_536)
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw AppError.invalid(["file": "无法读取文件 \(path)"]) }
            defer { try? handle.close() }
            return try handle.read(upToCount: 65_536) ?? Data()
        }
    }

    private static func size(_ source: Source) throws -> Int {
        switch source {
        case .data(let d): return d.count
        case .file(let path): return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
    }

    /// Valid UTF-8 up to the last complete line of the head (a multi-byte character may be cut at its end).
    static func isUTF8Prefix(_ head: Data) -> Bool {
        let cut = head.lastIndex(of: 0x0A).map { head[..<$0] } ?? head
        return String(data: Data(cut), encoding: .utf8) != nil
    }

    /// Decodes as GB18030 up to the last complete line of the head.
    static func isGB18030Prefix(_ head: Data) -> Bool {
        let cut = head.lastIndex(of: 0x0A).map { head[...$0] } ?? head
        return String(data: Data(cut), encoding: TextDecoding.gb18030) != nil
    }

    /// Rows in the file, estimated from the head's average line length, for the progress bar.
    static func estimateRows(head: Data, total: Int) -> Int {
        let lines = head.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        guard lines > 0, !head.isEmpty else { return 1 }
        return max(1, Int(Double(total) / (Double(head.count) / Double(lines))) - 1)
    }

    /// Rows in COPY's text format: tab-separated, `\N` for null, backslash, tab and line breaks escaped.
    /// A cell without any of the four bytes to escape (nearly all) is copied whole.
    static func copyText(_ batch: RegisterRowBatch, snapshot: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(batch.bytes.count + batch.count * (snapshot.count + 2 * RegisterRowBatch.columns + 8))
        batch.bytes.withUnsafeBufferPointer { bytes in
            batch.spans.withUnsafeBufferPointer { spans in
                var k = 0
                for _ in 0..<batch.count {
                    out.append(contentsOf: snapshot)
                    for _ in 0..<RegisterRowBatch.columns {
                        out.append(0x09)
                        let start = Int(spans[k])
                        let length = Int(spans[k + 1])
                        k += 2
                        guard length >= 0 else {
                            out.append(0x5C)
                            out.append(UInt8(ascii: "N"))
                            continue
                        }
                        let cell = UnsafeBufferPointer(rebasing: bytes[start..<start + length])
                        guard cell.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                            out.append(contentsOf: cell)
                            continue
                        }
                        for b in cell {
                            switch b {
                            case 0x5C: out.append(0x5C); out.append(0x5C)
                            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                            default: out.append(b)
                            }
                        }
                    }
                    out.append(0x0A)
                }
            }
        }
        return out
    }

    /// The error report as CSV (UTF-8 with BOM for Excel).
    static func errorReport(_ problems: [RowProblem]) -> Data {
        CSVWriter.write([["行号", "列", "值", "原因"]] + problems.map { [String($0.row), $0.column, $0.value, $0.reason] })
    }
}
