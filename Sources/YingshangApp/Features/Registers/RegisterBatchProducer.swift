import Foundation
import YingshangCore
import YingshangOffice

/// Reads a register file a chunk at a time and hands out the valid rows of each chunk, packed for inserting.
/// Rows in canonical form take the byte-level fast path; every other row goes through the full check, which
/// also writes the problems. Used by one thread at a time (the import's), hence `@unchecked Sendable`.
final class RegisterBatchProducer: @unchecked Sendable {
    enum Input: Sendable {
        case rows([[String]])
        case utf8(RegisterImporter.Source, skip: Int)
        /// GB18030/GBK (what Excel saves as "CSV" on Chinese Windows), decoded a chunk at a time: the chunk is cut
        /// after its last line feed, a byte that never occurs inside a GB18030 character.
        case gb18030(RegisterImporter.Source)
        /// The first sheet of a workbook, parsed on a thread of its own and handed over a chunk of rows at a time.
        case xlsx(RegisterImporter.Source)
    }

    let estimate: Int
    let skipInvalid: Bool
    private let input: Input
    private let townships: [String: String]
    private let existing: Set<EnterpriseRegister.USCCKey>
    private let progress: (@Sendable (Int, Int) -> Void)?
    private var validator: EnterpriseRegister.RowValidator?
    private var parser = CSVRecordParser()
    private var handle: FileHandle?
    private var offset = 0
    private var finished = false
    private var batch = RegisterRowBatch()
    private var discard = RegisterRowBatch()
    private let chunkSize: Int
    /// The bytes after the last line feed of the chunk read last (GB18030 only).
    private var carry = Data()
    private var feed: RowFeed?

    private(set) var missingColumns: [RowProblem]?
    /// The first `RegisterImporter.maxProblems` problems, for the error list.
    private(set) var problems: [RowProblem] = []
    /// Every problem found, and the rows they are in (with `skipInvalid` the whole file is read, however many).
    private(set) var problemTotal = 0
    private(set) var invalidRows = 0
    /// The rows handed out so far, by township × industry × size (stored beside the register for its page).
    private(set) var tally = RegisterTally()
    /// Records read so far, the header included (so the last one's number as in the file).
    private(set) var rowNumber = 0

    init(
        input: Input, townships: [String: String], existing: Set<EnterpriseRegister.USCCKey>, skipInvalid: Bool, estimate: Int,
        progress: (@Sendable (Int, Int) -> Void)?, chunkSize: Int = RegisterImporter.chunkSize
    ) {
        self.chunkSize = chunkSize
        self.input = input
        self.townships = townships
        self.existing = existing
        self.skipInvalid = skipInvalid
        self.estimate = estimate
        self.progress = progress
    }

    deinit {
        try? handle?.close()
        feed?.cancel()
    }

    /// The valid rows of the next chunk (possibly none), or nil at the end of the file — or, for an all-or-nothing
    /// import that is refused anyway, after 1,000 problems.
    func next() throws -> RegisterRowBatch? {
        guard !finished else { return nil }
        batch = RegisterRowBatch(reserving: chunkSize)
        switch input {
        case .rows(let rows):
            let end = min(rows.count, offset + 10_000)
            for row in rows[offset..<end] { take(strings: row) }
            offset = end
            finished = end >= rows.count
        case .xlsx(let source):
            if feed == nil { feed = RowFeed.start(source.workbook) }
            if let rows = try feed?.take() {
                for row in rows { take(strings: row) }
            } else {
                finished = true
            }
        case .utf8(let source, let skip):
            if let chunk = try read(source, skip: skip) {
                chunk.withUnsafeBytes { raw in
                    parser.feed(raw.bindMemory(to: UInt8.self)) { take($0) }
                }
            } else {
                parser.finish { take($0) }
                finished = true
            }
        case .gb18030(let source):
            let chunk = try read(source, skip: 0)
            // Fresh copies, never slices: appending to a Data slice crashed FoundationEssentials here.
            var piece = Data(carry)
            if let chunk { piece.append(Data(chunk)) }
            if chunk != nil, let cut = piece.lastIndex(of: 0x0A) {
                carry = Data(piece[(cut + 1)...])
                piece = Data(piece[...cut])
            } else if chunk != nil {
                carry = piece
                piece = Data()
            } else {
                carry = Data()
            }
            guard let text = String(data: piece, encoding: TextDecoding.gb18030) else {
                throw AppError.invalid(["file": "第 \(firstUndecodableLine(piece)) 行无法按 GB18030/GBK 解码，请检查文件编码（支持 UTF-8 和 GB18030/GBK）"])
            }
            let utf8 = Array(text.utf8)
            utf8.withUnsafeBufferPointer { bytes in
                parser.feed(bytes) { take($0) }
            }
            if chunk == nil {
                parser.finish { take($0) }
                finished = true
            }
        }
        if stopReading || missingColumns != nil { finished = true }
        progress?(max(0, rowNumber - 1), max(estimate, rowNumber - 1))
        tally.add(batch)
        return batch
    }

    /// The row number of the first line of `piece` that does not decode (counting lines: exact unless a quoted
    /// field before it spans lines). Only runs once the chunk as a whole has failed.
    private func firstUndecodableLine(_ piece: Data) -> Int {
        var line = rowNumber + 1
        for bytes in piece.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if String(data: Data(bytes), encoding: TextDecoding.gb18030) == nil { return line }
            line += 1
        }
        return line
    }

    private func read(_ source: RegisterImporter.Source, skip: Int) throws -> Data? {
        switch source {
        case .data(let data):
            if offset == 0 { offset = min(skip, data.count) }
            guard offset < data.count else { return nil }
            let end = min(data.count, offset + chunkSize)
            defer { offset = end }
            return data[data.startIndex + offset..<data.startIndex + end]
        case .file(let path):
            if handle == nil {
                guard let h = FileHandle(forReadingAtPath: path) else { throw AppError.invalid(["file": "无法读取文件 \(path)"]) }
                if skip > 0 { _ = try h.read(upToCount: skip) }
                handle = h
            }
            guard let chunk = try handle?.read(upToCount: chunkSize), !chunk.isEmpty else { return nil }
            return chunk
        }
    }

    /// An all-or-nothing import with a full error list is refused whatever follows; one that skips invalid rows
    /// must read to the end, or the valid rows after the 1,000th problem would be dropped without a word.
    private var stopReading: Bool { !skipInvalid && problems.count >= RegisterImporter.maxProblems }

    private func header(_ row: [String]) {
        switch EnterpriseRegister.RowValidator.make(header: row, townships: townships, existingKeys: existing) {
        case .success(var v):
            v.reserve(estimate)
            validator = v
        case .failure(let m): missingColumns = m.problems
        }
    }

    private func take(_ record: ByteRecord) {
        rowNumber += 1
        if rowNumber == 1 { return header(record.strings) }
        guard validator != nil, !stopReading else { return }
        // After the first problem of an all-or-nothing import rows are still checked (for the error list) but not kept.
        let keep = problems.isEmpty || skipInvalid
        if keep {
            if validator?.checkBytes(record, rowNumber: rowNumber, into: &batch) == true { return }
        } else {
            let fast = validator?.checkBytes(record, rowNumber: rowNumber, into: &discard) == true
            discard.removeAll()
            if fast { return }
        }
        slow(record.strings, keep: keep)
    }

    private func take(strings row: [String]) {
        rowNumber += 1
        if rowNumber == 1 { return header(row) }
        guard validator != nil, !stopReading else { return }
        slow(row, keep: problems.isEmpty || skipInvalid)
    }

    private func slow(_ row: [String], keep: Bool) {
        switch validator?.check(row, rowNumber: rowNumber) {
        case .valid(let r): if keep { batch.append(r) }
        case .invalid(let p):
            invalidRows += 1
            problemTotal += p.count
            problems += p.prefix(max(0, RegisterImporter.maxProblems - problems.count))
        case .blank, .none: break
        }
    }
}

/// Hands items from one thread to another with at most `capacity` waiting, so the two overlap without the
/// producer running ahead; the end (or the producer's error) and a consumer giving up travel through it too.
final class Handoff<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Item] = []
    private let capacity: Int
    private var closed = false
    private var failure: (any Error)?
    private var cancelled = false

    init(capacity: Int = 2) { self.capacity = capacity }

    /// Waits for room; false once the consumer has given up (the producer should stop).
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(item)
        condition.broadcast()
        return true
    }

    /// The producer is done, with the error that stopped it if any.
    func close(_ error: (any Error)?) {
        condition.lock()
        closed = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, nil after the last; rethrows what stopped the producer.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed { condition.wait() }
        if !queue.isEmpty {
            let item = queue.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    /// The consumer gives up; with `waiting`, returns only once the producer has closed.
    func cancel(waiting: Bool) {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while waiting && !closed { condition.wait() }
        condition.unlock()
    }
}

/// Hands batches from the reading thread to the writing side, at most two waiting, so reading and checking the
/// next chunk overlaps with the database taking the last one (one core each). `prepare` runs on the reading thread
/// too (PostgreSQL: the batch in COPY's text format).
final class BatchPipe<Item: Sendable>: @unchecked Sendable {
    private let handoff = Handoff<Item>()
    private let prepare: @Sendable (RegisterRowBatch) -> Item

    init(prepare: @escaping @Sendable (RegisterRowBatch) -> Item) {
        self.prepare = prepare
    }

    /// Reads every batch of `producer` into the pipe on a thread of its own.
    func start(_ producer: RegisterBatchProducer) {
        let handoff = handoff
        let prepare = prepare
        let thread = Thread {
            do {
                while let batch = try producer.next() {
                    guard handoff.put(prepare(batch)) else { break }
                }
                handoff.close(nil)
            } catch {
                handoff.close(error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The next item, nil at the end; rethrows what stopped the reader. Blocks: for a thread of the caller's own.
    func take() throws -> Item? { try handoff.take() }

    /// `take` from async code, waiting on a thread of its own rather than holding one of the few pool threads.
    func next() async throws -> Item? { try await onOwnThread { try self.take() } }

    /// Stops the reader (the writer failed) and waits until it has let go of the producer.
    func cancel() { handoff.cancel(waiting: true) }
}

extension BatchPipe where Item == RegisterRowBatch {
    convenience init() { self.init(prepare: { $0 }) }
}

/// The rows of a workbook's first sheet, parsed on a thread of its own and handed over in chunks (at most two
/// waiting), so a large sheet streams like a CSV file instead of being read whole (100,000 rows took 300 MB).
final class RowFeed: @unchecked Sendable {
    private let handoff = Handoff<[[String]]>()

    static func start(_ source: XLSX.Source, chunkRows: Int = 2_000) -> RowFeed {
        let feed = RowFeed()
        let handoff = feed.handoff
        let thread = Thread {
            var chunk: [[String]] = []
            do {
                try XLSX.forEachRow(of: source) { row in
                    chunk.append(row)
                    guard chunk.count >= chunkRows else { return true }
                    defer { chunk = [] }
                    return handoff.put(chunk)
                }
                if !chunk.isEmpty { _ = handoff.put(chunk) }
                handoff.close(nil)
            } catch {
                handoff.close(error)
            }
        }
        // libxml2 recurses on the C stack.
        thread.stackSize = 4 << 20
        thread.start()
        return feed
    }

    /// The next rows, nil after the last; rethrows what stopped the parser.
    func take() throws -> [[String]]? { try handoff.take() }

    /// Lets the parser stop (its temporary file is removed as it returns).
    func cancel() { handoff.cancel(waiting: false) }
}

/// Runs blocking work on a thread of its own (not the shared pools, which serve requests and queries).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
