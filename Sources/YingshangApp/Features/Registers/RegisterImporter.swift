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

    /// Where the file comes from: an upload held in memory, or a path the CLI reads a piece at a time.
    enum Source: Sendable {
        case data(Data)
        case file(String)
    }

    /// A failed all-or-nothing import: thrown inside the transaction so nothing inserted stays.
    private struct Rejected: Error {
        let problems: [RowProblem]
    }

    static let chunkSize = 4 << 20
    static let batchRows = 1000
    static let maxProblems = 1000

    static func run(
        campaignID: UUID, data: Data, filename: String, skipInvalid: Bool, db: any Database, actor: User? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Outcome {
        try await run(campaignID: campaignID, source: .data(data), filename: filename, skipInvalid: skipInvalid, db: db, actor: actor, progress: progress)
    }

    /// Reads, validates and inserts in one pass inside one transaction: UTF-8 CSV is parsed chunk by chunk and rows
    /// are inserted in batches, so memory stays flat however large the file. Any invalid row (without `skipInvalid`)
    /// rolls the whole transaction back; the problems are collected (up to 1,000) for the error list.
    static func run(
        campaignID: UUID, source: Source, filename: String, skipInvalid: Bool, db: any Database, actor: User? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Outcome {
        let head = try readHead(source)
        let input: Input
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let sheets = try XLSX.read(try readAll(source))
            input = .rows(sheets.first?.rows.map { $0.map(\.string) } ?? [])
        } else if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            input = .utf8(source, skip: 3)
        } else if isUTF8Prefix(head) {
            input = .utf8(source, skip: 0)
        } else {
            guard let (text, _) = TextDecoding.decode(try readAll(source)) else {
                throw AppError.invalid(["file": "无法识别文件编码（支持 UTF-8 和 GB18030/GBK 的 CSV，或 XLSX）"])
            }
            input = .utf8(.data(Data(text.utf8)), skip: 0)
        }
        let estimate = estimateRows(head: head, total: try size(source))
        var townships: [String: String] = [:]
        for r in try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all() {
            townships[r.name] = r.code
            townships[r.code] = r.code
        }
        let existing = Set(try await Enterprise.query(on: db).filter(\.$campaign.$id == campaignID).field(\.$uscc).all().map(\.uscc))
        let known = townships
        do {
            return try await db.writeTransaction { tx in
                guard let sql = tx as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
                // A larger page cache (16 MB, this connection) keeps SQLite from spilling index pages mid-transaction.
                // Statement journals in memory (temp_store) were faster still but pushed a 1M-row import past 200 MB.
                if sql.dialect.name == "sqlite" { try await sql.raw("PRAGMA cache_size = -16384").run() }
                var state = ImportState(townships: known, existing: existing, skipInvalid: skipInvalid)
                var batch: [EnterpriseRecord] = []
                func flush() async throws {
                    guard !batch.isEmpty else { return }
                    try await insert(batch, campaignID: campaignID, on: sql)
                    state.imported += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
                try await forEachRowChunk(input) { rows in
                    for row in rows {
                        if let record = state.take(row) { batch.append(record) }
                        if batch.count >= batchRows { try await flush() }
                    }
                    progress?(state.rowNumber - 1, max(estimate, state.rowNumber - 1))
                    return state.problems.count < maxProblems
                }
                try await flush()
                if state.rowNumber <= 1 { throw Rejected(problems: [RowProblem(row: 1, column: "表头", value: "", reason: "文件为空")]) }
                if let missing = state.missingColumns { throw Rejected(problems: missing) }
                if !state.problems.isEmpty && !skipInvalid { throw Rejected(problems: state.problems) }
                progress?(state.rowNumber - 1, state.rowNumber - 1)
                try await AuditLog.record(
                    on: tx, req: nil, actor: actor, action: "import", entityType: "register", entityID: campaignID, before: noSnapshot,
                    after: ["file": filename, "rows": String(state.imported), "skipped": String(state.problems.count)])
                return Outcome(imported: state.imported, problems: state.problems, stored: true)
            }
        } catch let rejected as Rejected {
            return Outcome(imported: 0, problems: rejected.problems, stored: false)
        }
    }

    /// Validation state across rows: the header, the validator and the problems so far.
    private struct ImportState {
        let townships: [String: String]
        let existing: Set<String>
        let skipInvalid: Bool
        var validator: EnterpriseRegister.RowValidator?
        var missingColumns: [RowProblem]?
        var problems: [RowProblem] = []
        var rowNumber = 0
        var imported = 0

        init(townships: [String: String], existing: Set<String>, skipInvalid: Bool) {
            self.townships = townships
            self.existing = existing
            self.skipInvalid = skipInvalid
        }

        /// The row's record when it should be inserted now.
        mutating func take(_ row: [String]) -> EnterpriseRecord? {
            rowNumber += 1
            if rowNumber == 1 {
                switch EnterpriseRegister.RowValidator.make(header: row, townships: townships, existing: existing) {
                case .success(let v): validator = v
                case .failure(let m): missingColumns = m.problems
                }
                return nil
            }
            guard validator != nil else { return nil }
            switch validator?.check(row, rowNumber: rowNumber) {
            case .valid(let r): return problems.isEmpty || skipInvalid ? r : nil
            case .invalid(let p): problems += p
            case .blank, .none: break
            }
            return nil
        }
    }

    private enum Input: Sendable {
        case rows([[String]])
        case utf8(Source, skip: Int)
    }

    /// Calls `body` with the rows of each chunk; stops early when it returns false.
    private static func forEachRowChunk(_ input: Input, _ body: ([[String]]) async throws -> Bool) async throws {
        switch input {
        case .rows(let rows):
            for start in stride(from: 0, to: rows.count, by: 10_000) {
                if !(try await body(Array(rows[start..<min(rows.count, start + 10_000)]))) { return }
            }
        case .utf8(let source, let skip):
            var parser = CSVByteParser()
            var rows: [[String]] = []
            var first = true
            try await forEachChunk(source) { chunk in
                chunk.withUnsafeBytes { raw in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    let start = first ? min(skip, bytes.count) : 0
                    parser.feed(UnsafeBufferPointer(rebasing: bytes[start...])) { rows.append($0) }
                }
                first = false
                let ready = rows
                rows.removeAll(keepingCapacity: true)
                return try await body(ready)
            }
            parser.finish { rows.append($0) }
            if !rows.isEmpty { _ = try await body(rows) }
        }
    }

    private static func forEachChunk(_ source: Source, _ body: (Data) async throws -> Bool) async throws {
        switch source {
        case .data(let data):
            var offset = data.startIndex
            while offset < data.endIndex {
                let end = min(data.endIndex, offset + chunkSize)
                if !(try await body(data[offset..<end])) { return }
                offset = end
            }
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw AppError.invalid(["file": "无法读取文件 \(path)"]) }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
                if !(try await body(chunk)) { return }
            }
        }
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

    private static func readAll(_ source: Source) throws -> Data {
        switch source {
        case .data(let d): return d
        case .file(let path):
            guard let d = FileManager.default.contents(atPath: path) else { throw AppError.invalid(["file": "无法读取文件 \(path)"]) }
            return d
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

    /// Rows in the file, estimated from the head's average line length, for the progress bar.
    static func estimateRows(head: Data, total: Int) -> Int {
        let lines = head.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        guard lines > 0, !head.isEmpty else { return 1 }
        return max(1, Int(Double(total) / (Double(head.count) / Double(lines))) - 1)
    }

    /// One statement per batch with the rows as one JSON array bound as a single parameter, unpacked by the database
    /// (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL): binding twelve values a row one by one cost
    /// far more than the insert itself.
    private static func insert(_ batch: [EnterpriseRecord], campaignID: UUID, on sql: any SQLDatabase) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var json = "["
        json.reserveCapacity(batch.count * 160)
        for (i, r) in batch.enumerated() {
            let extra = r.extra.isEmpty ? "{}" : String(decoding: (try? encoder.encode(r.extra)) ?? Data("{}".utf8), as: UTF8.self)
            if i > 0 { json += "," }
            json += "["
            json += jsonString(UUID().uuidString)
            for v in [r.uscc, r.name, r.townshipCode, r.industry, r.size, r.status, r.founded?.description, r.contact, r.phone, extra] as [String?] {
                json += ","
                json += v.map(jsonString) ?? "null"
            }
            json += "]"
        }
        json += "]"
        let columns = "id, campaign_id, uscc, name, township_code, industry, size, status, founded, contact, phone, extra"
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                INSERT INTO enterprises (\(unsafeRaw: columns))
                SELECT (x->>0)::uuid, \(bind: campaignID), x->>1, x->>2, x->>3, x->>4, x->>5, x->>6, x->>7, x->>8, x->>9, x->>10
                FROM jsonb_array_elements(\(bind: json)::jsonb) AS x
                """).run()
        } else {
            try await sql.raw("""
                INSERT INTO enterprises (\(unsafeRaw: columns))
                SELECT json_extract(value, '$[0]'), \(bind: campaignID), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                    json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'),
                    json_extract(value, '$[7]'), json_extract(value, '$[8]'), json_extract(value, '$[9]'), json_extract(value, '$[10]')
                FROM json_each(\(bind: json))
                """).run()
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// The error report as CSV (UTF-8 with BOM for Excel).
    static func errorReport(_ problems: [RowProblem]) -> Data {
        CSVWriter.write([["行号", "列", "值", "原因"]] + problems.map { [String($0.row), $0.column, $0.value, $0.reason] })
    }
}
