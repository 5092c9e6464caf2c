import Dispatch
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLiteNIO
import VaporCSQLite
import YingshangCore

/// The survey write queue's batches on a SQLite file, through SQLite's C interface on a connection and a serial queue
/// of their own. Through Fluent a batch was four database calls (the read, then the write's gate, statement and
/// commit), each a hop to SQLiteNIO's pool and back through an event loop busy with HTTP, so submissions waited mostly
/// in the loops' queues rather than on the database (thirty-fourth session, docs/benchmarks.md). Here a batch is one
/// hop: read, checked and written inside one `BEGIN IMMEDIATE` transaction, so nothing read can change before the
/// write, and each submission is answered from the queue once the commit returned.
///
/// Values are stored as SQLiteNIO stores them (a date as seconds since 1970, a real); a row is updated by its id as
/// stored (SQLiteNIO's UUID text), which a test pins by reading through Fluent what this path wrote.
final class SurveyBatchesSQLite: @unchecked Sendable {
    // `@unchecked`: `lite` and the statements are used only on `queue`, one batch at a time; the rest is in `state`.
    private let path: String
    private let queue = DispatchQueue(label: "yingshang.survey-batches")
    private var lite: OpaquePointer?
    private var find: OpaquePointer?
    private var update: OpaquePointer?
    private let database: @Sendable () -> any Database
    private let limit: SurveyWriteQueue.Limit
    private let state: NIOLockedValueBox<State>
    private let busyTimeout: Int32

    private struct State {
        var pending: [Submission] = []
        /// A drain is running on `queue` or about to (or a template is being loaded for it).
        var scheduled = false
        var held = 0
        var heldBytes = 0
        var gate: (@Sendable () async -> Void)?
    }

    /// One final submission, and who waits for its answer.
    struct Submission: Sendable {
        let token: String
        let answers: [String: String]
        let at: Date
        let bytes: Int
        let done: CheckedContinuation<SurveyService.SubmitOutcome, any Error>
    }

    /// `busyTimeout`: milliseconds a batch waits for another connection's write before it is refused as busy.
    /// `gate`: tests hold the queue's first batch there (as `SurveyWriteQueue`'s); nil in the application.
    init(
        path: String, database: @escaping @Sendable () -> any Database, limit: SurveyWriteQueue.Limit,
        busyTimeout: Int32 = 5000, gate: (@Sendable () async -> Void)? = nil
    ) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.database = database
        self.limit = limit
        state = NIOLockedValueBox(State(gate: gate))
    }

    deinit {
        sqlite_nio_sqlite3_finalize(find)
        sqlite_nio_sqlite3_finalize(update)
        if let lite { sqlite_nio_sqlite3_close(lite) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Submissions admitted and not yet answered.
    var waiting: Int { state.withLockedValue { $0.held } }

    /// The answer to a final submission once it is committed (or refused), under the same bound as the queue.
    func submit(token: String, answers: [String: String], at now: Date) async throws -> SurveyService.SubmitOutcome {
        let bytes = answers.reduce(token.utf8.count) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        enum Next { case refuse, none, drain, gateThenDrain(@Sendable () async -> Void) }
        return try await withCheckedThrowingContinuation { done in
            let next: Next = state.withLockedValue { s in
                guard s.held < limit.count, s.heldBytes + bytes <= limit.bytes else { return .refuse }
                s.held += 1
                s.heldBytes += bytes
                s.pending.append(Submission(token: token, answers: answers, at: now, bytes: bytes, done: done))
                if s.scheduled { return .none }
                s.scheduled = true
                guard let gate = s.gate else { return .drain }
                s.gate = nil
                return .gateThenDrain(gate)
            }
            switch next {
            case .refuse: done.resume(throwing: SurveyWriteQueue.busy)
            case .none: break
            case .drain: queue.async { self.drain() }
            case .gateThenDrain(let gate):
                Task {
                    await gate()
                    self.queue.async { self.drain() }
                }
            }
        }
    }

    /// On `queue`: batches until nothing is pending. A batch holds each token once (a second submission for one
    /// response waits for the next batch, and is then answered from what the first stored).
    private func drain() {
        while true {
            let batch: [Submission] = state.withLockedValue { s in
                var batch: [Submission] = []
                var rest: [Submission] = []
                var tokens: Set<String> = []
                for item in s.pending {
                    if batch.count < SurveyWriteQueue.chunk, tokens.insert(item.token).inserted { batch.append(item) } else { rest.append(item) }
                }
                s.pending = rest
                if batch.isEmpty { s.scheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            var missing: Set<UUID> = []
            do { missing = try run(batch, checker: TemplateCache.shared.cached) } catch {
                for s in batch { s.done.resume(throwing: error) }
            }
            guard missing.isEmpty else {
                // Nothing was written or answered: the templates are loaded through Fluent (once per template and
                // process) and the batch handed in again; the queue stays scheduled meanwhile.
                let db = database()
                Task {
                    do {
                        for id in missing { _ = try await TemplateCache.shared.checker(id, on: db) }
                        self.state.withLockedValue { $0.pending.insert(contentsOf: batch, at: 0) }
                    } catch {
                        for s in batch { s.done.resume(throwing: error) }
                        self.release(batch)
                    }
                    self.queue.async { self.drain() }
                }
                return
            }
            release(batch)
        }
    }

    private func release(_ batch: [Submission]) {
        let bytes = batch.reduce(0) { $0 + $1.bytes }
        state.withLockedValue {
            $0.held -= batch.count
            $0.heldBytes -= bytes
        }
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "\(what)失败：\(lite.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "无法打开数据库文件")")
    }

    private func open() throws -> OpaquePointer {
        if let lite { return lite }
        var handle: OpaquePointer?
        guard sqlite_nio_sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw Failure(description: "保存答卷失败：无法打开数据库文件")
        }
        lite = handle
        // Waits (on this queue only) while another connection writes; the commit is durable before anyone is answered.
        sqlite_nio_sqlite3_busy_timeout(handle, busyTimeout)
        try exec("PRAGMA synchronous = FULL")
        guard sqlite_nio_sqlite3_prepare_v2(handle, """
            SELECT id, status, answers, expires_at, template_id, draw_id FROM survey_responses WHERE token = ?
            """, -1, &find, nil) == SQLITE_OK,
            sqlite_nio_sqlite3_prepare_v2(handle, """
                UPDATE survey_responses SET answers = ?, status = 'submitted', submitted_at = ? WHERE id = ? AND status <> 'submitted'
                """, -1, &update, nil) == SQLITE_OK
        else { throw failure("准备答卷语句") }
        return handle
    }

    private func exec(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(lite, sql, nil, nil, nil) == SQLITE_OK else { throw failure("执行 \(sql.prefix(30))") }
    }

    /// Reads, checks and writes `batch` in one transaction and answers each submission once committed. Returns the
    /// templates the checks need and the cache lacks — then nothing was written or answered — or an empty set.
    private func run(_ batch: [Submission], checker: (UUID) -> SurveyChecker?) throws -> Set<UUID> {
        let handle = try open()
        guard let find, let update else { throw failure("准备答卷语句") }
        // IMMEDIATE: the write lock first, so what is read below is what the write changes. Another connection's
        // write (an import holds the lock for seconds) is waited for up to the busy timeout, then refused as busy.
        switch sqlite_nio_sqlite3_exec(handle, "BEGIN IMMEDIATE", nil, nil, nil) {
        case SQLITE_OK: break
        case SQLITE_BUSY: throw SurveyWriteQueue.busy
        default: throw failure("开始保存答卷")
        }
        var committed = false
        defer { if !committed { try? exec("ROLLBACK") } }
        var visits: [SurveyVisit?] = []
        var storedIDs: [UUID: String] = [:]
        for s in batch {
            let row = try read(s.token, find)
            visits.append(row?.visit)
            if let row { storedIDs[row.visit.id] = row.storedID }
        }
        let missing = Set(visits.compactMap { $0?.templateID }.filter { checker($0) == nil })
        guard missing.isEmpty else { return missing }
        var results: [Result<SurveyService.SubmitOutcome, any Error>] = []
        for (s, visit) in zip(batch, visits) {
            do {
                switch try SurveyService.decide(visit, checker: visit.flatMap { checker($0.templateID) }, answers: s.answers, final: true, now: s.at) {
                case .done(let outcome): results.append(.success(outcome))
                case .write(let id, _, let json):
                    // The write lock is held since the read: the row is not submitted, so the update changes it.
                    try write(id: storedIDs[id] ?? id.uuidString, json: json, at: s.at, update)
                    results.append(.success(.stored))
                }
            } catch {
                // Some failures (disk full, I/O) roll the whole transaction back: the statements after would then
                // commit one by one, unanswered. Fail the batch instead; nothing of it is stored.
                if sqlite_nio_sqlite3_get_autocommit(handle) != 0 { throw error }
                results.append(.failure(error))
            }
        }
        try exec("COMMIT")
        committed = true
        for (s, result) in zip(batch, results) { s.done.resume(with: result) }
        return []
    }

    /// The response of `token` and its id as stored.
    private func read(_ token: String, _ stmt: OpaquePointer) throws -> (visit: SurveyVisit, storedID: String)? {
        defer { sqlite_nio_sqlite3_reset(stmt) }
        // Tokens are 26 characters; a short or very long one is not looked up (as `SurveyVisit.find`).
        guard (16...64).contains(token.utf8.count) else { return nil }
        sqlite_nio_sqlite3_bind_text(stmt, 1, token, -1, SQLiteRegisterWriter.transient)
        let rc = sqlite_nio_sqlite3_step(stmt)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw failure("读取问卷") }
        let storedID = text(stmt, 0)
        guard let id = UUID(uuidString: storedID), let template = UUID(uuidString: text(stmt, 4)),
            let draw = UUID(uuidString: text(stmt, 5))
        else { throw Failure(description: "读取问卷失败：编号格式不符") }
        let visit = SurveyVisit(
            id: id, token: token, status: text(stmt, 1), answersJSON: text(stmt, 2),
            expiresAt: sqlite_nio_sqlite3_column_type(stmt, 3) == SQLITE_NULL
                ? nil : Date(timeIntervalSince1970: sqlite_nio_sqlite3_column_double(stmt, 3)),
            templateID: template, drawID: draw, enterprise: "")
        return (visit, storedID)
    }

    private func write(id: String, json: String, at: Date, _ stmt: OpaquePointer) throws {
        defer { sqlite_nio_sqlite3_reset(stmt) }
        sqlite_nio_sqlite3_bind_text(stmt, 1, json, -1, SQLiteRegisterWriter.transient)
        sqlite_nio_sqlite3_bind_double(stmt, 2, at.timeIntervalSince1970)
        sqlite_nio_sqlite3_bind_text(stmt, 3, id, -1, SQLiteRegisterWriter.transient)
        guard sqlite_nio_sqlite3_step(stmt) == SQLITE_DONE else { throw failure("保存答卷") }
        guard sqlite_nio_sqlite3_changes(lite) == 1 else { throw failure("保存答卷（未找到答卷）") }
    }

    private func text(_ stmt: OpaquePointer, _ column: Int32) -> String {
        guard let p = sqlite_nio_sqlite3_column_text(stmt, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite_nio_sqlite3_column_bytes(stmt, column))), as: UTF8.self)
    }
}
