import Fluent
import SQLKit
import SQLiteNIO
import Vapor

extension Database {
    /// The SQL interface both supported databases have (SQLite and PostgreSQL drivers both provide it).
    func sql() throws -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else { throw AppError.conflict("数据库不支持 SQL") }
        return sql
    }

    /// A transaction that is retried when SQLite reports the database busy. SQLite refuses (without waiting) a
    /// deferred transaction that read first and then writes while another connection writes (in WAL mode:
    /// "busy in snapshot"); retrying the whole transaction is safe because a failed one leaves nothing behind.
    ///
    /// On SQLite, write transactions of this process also take turns through `SQLiteWriteGate`, waiting
    /// asynchronously: SQLiteNIO's busy handler retries without end on one of the few blocking-pool threads, so
    /// two writers waiting for a third that needs a pool thread to commit would hang every database call of the
    /// process (seen with 40 parallel logins on two cores). PostgreSQL never takes this path.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard engine == .sqlite else { return try await transaction(body) }
        return try await retryingBusy { try await transaction(body) }
    }

    /// `body` writes with a single statement, atomic on its own (SQLite and PostgreSQL commit it when it completes):
    /// the same turns and retries as `writeTransaction`, without the round trips of `BEGIN` and `COMMIT`.
    func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard engine == .sqlite else { return try await body(self) }
        return try await retryingBusy { try await body(self) }
    }

    private func retryingBusy<T: Sendable>(_ write: @escaping @Sendable () async throws -> T) async throws -> T {
        try await SQLiteWriteGate.shared.run {
            var attempt = 0
            while true {
                do {
                    return try await write()
                } catch let error as SQLiteError
                    where (error.reason == .busy || error.reason == .busyInSnapshot || error.reason == .busyInRecovery)
                    && attempt < 50
                {
                    attempt += 1
                    try await Task.sleep(nanoseconds: UInt64(min(attempt, 10)) * 4_000_000 + UInt64.random(in: 0...4_000_000))
                }
            }
        }
    }
}

/// One SQLite write transaction at a time in this process, queued without blocking a thread. Re-entrant within a
/// task (a write transaction that, inside, starts another one on the same task runs it at once).
actor SQLiteWriteGate {
    static let shared = SQLiteWriteGate()
    @TaskLocal static var held = false

    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    nonisolated func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if Self.held { return try await body() }
        await acquire()
        do {
            let result = try await Self.$held.withValue(true) { try await body() }
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}
