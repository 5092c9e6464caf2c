import Fluent
import Foundation
import Vapor

/// Work that runs on a timer (session sweep, abandoned-import sweep) runs once per period across all instances
/// sharing the database: each instance wakes up and claims the period's slot by inserting a row under a unique
/// (name, slot) index; only the instance whose insert succeeds does the work. Works the same on SQLite and
/// PostgreSQL, needs no lock held across the work, and leaves a record of who ran what.
final class ScheduledRun: Model, @unchecked Sendable {
    static let schema = "scheduled_runs"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "slot") var slot: Int
    @Field(key: "instance") var instance: String
    @Field(key: "ran_at") var ranAt: Date

    init() {}
}

struct CreateScheduledRuns: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ScheduledRun.schema)
            .id()
            .field("name", .string, .required)
            .field("slot", .int64, .required)
            .field("instance", .string, .required)
            .field("ran_at", .datetime, .required)
            .unique(on: "name", "slot")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ScheduledRun.schema).delete()
    }
}

enum ScheduledWork {
    /// This process, as the scheduled_runs table and the log name it.
    static let instance: String = {
        let host = ProcessInfo.processInfo.hostName
        return "\(host.prefix(40))-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(6))"
    }()

    /// The period a moment falls in: whole multiples of `period` seconds since 1970.
    static func slot(_ now: Date, period: TimeInterval) -> Int { Int((now.timeIntervalSince1970 / period).rounded(.down)) }

    /// True for exactly one caller per (name, slot) across instances.
    static func claim(_ name: String, slot: Int, now: Date, on db: any Database) async -> Bool {
        let row = ScheduledRun()
        row.name = name
        row.slot = slot
        row.instance = instance
        row.ranAt = now
        do {
            try await db.writeTransaction { tx in try await row.create(on: tx) }
            return true
        } catch {
            return false  // another instance has the slot (or the database is away: try next period)
        }
    }

    /// Runs `work` every `period` seconds, once per period across instances. A random delay inside the period keeps
    /// instances started together from always racing at the same instant.
    static func every(
        _ period: TimeInterval, name: String, app: Application, work: @escaping @Sendable (any Database, Date) async throws -> Void
    ) -> Task<Void, Never> {
        let db = app.db
        let logger = app.logger
        let clock = app.clock
        return Task {
            while !Task.isCancelled {
                let now = clock.now()
                let slot = slot(now, period: period)
                if await claim(name, slot: slot, now: now, on: db) {
                    do {
                        try await work(db, now)
                        logger.notice("scheduled \(name) slot=\(slot) ran on \(instance)")
                    } catch {
                        logger.warning("scheduled \(name) slot=\(slot) failed: \(String(describing: error))")
                    }
                    // A day of claims is kept, for operators reading who ran what.
                    try? await ScheduledRun.query(on: db).filter(\.$name == name).filter(\.$slot < slot - Int(86_400 / period)).delete()
                }
                let next = Double(slot + 1) * period - clock.now().timeIntervalSince1970
                let jitter = Double.random(in: 0...(min(period, 60) * 0.1))
                try? await Task.sleep(nanoseconds: UInt64(max(0.05, next + jitter) * 1_000_000_000))
            }
        }
    }
}
