import FluentKit
import NIOCore
import Vapor
import PostgresKit
import SQLKit

/// A read that runs on every request of its kind (the session, the layout, a survey page). On PostgreSQL it is kept
/// as a named prepared statement on each pooled connection: PostgresNIO sends other queries as unnamed statements,
/// which PostgreSQL parses and plans on every execution, and for these short reads planning cost more than running
/// them (docs/benchmarks.md, twenty-fifth session). Conformers give PostgreSQL's text (`$1`, `$2` …); SQLite runs
/// the caller's portable SQLKit query instead.
///
/// The statements name their columns (never `*`): a prepared statement whose result columns change under it (a
/// migration run by another instance) fails with "cached plan must not change result type" until reconnected.
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRow {}

extension PreparedRead {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

enum PreparedStatements {
    /// The rows of `statement` when `db` is PostgreSQL; nil on any other database (the caller runs its SQLKit query).
    static func rows<S: PreparedRead>(_ statement: S, on db: any Database) async throws -> [any SQLRow]? {
        guard let postgres = db as? any PostgresDatabase else { return nil }
        let logger = db.logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                do {
                    var rows: [any SQLRow] = []
                    for try await row in try await connection.execute(statement, logger: logger) { rows.append(row.sql()) }
                    return rows
                } catch {
                    // PostgresNIO keeps a failed preparation for the connection's lifetime and answers every later
                    // execution with the same error (a read prepared before its table existed would fail forever):
                    // the connection is closed, and the pool opens a fresh one that prepares it again.
                    try? await connection.close()
                    throw error
                }
            }
        }.get()
    }

    /// The rows of a hot read as a future: PostgreSQL's prepared statement (async only, so through a task), or on SQLite
    /// the portable query as a SQLKit future — from the event loop to SQLite's thread and back, without a hop to
    /// Swift's pool (for the reads a future chain makes before its handler: the session, a token, a survey page).
    static func rows<S: PreparedRead>(
        _ statement: S, on db: any Database, eventLoop: any EventLoop, sqlite: (any SQLDatabase) -> SQLRawBuilder
    ) -> EventLoopFuture<[any SQLRow]> {
        if db is any PostgresDatabase {
            return eventLoop.makeFutureWithTask { try await rows(statement, on: db) ?? [] }
        }
        // Every database this platform runs on speaks SQL (configure.swift).
        guard let sql = db as? any SQLDatabase else { return eventLoop.makeFailedFuture(Abort(.internalServerError)) }
        return sqlite(sql).all()
    }

    /// `alias."column", …` for every field of `model`, in the order Fluent declares them.
    static func columns<M: Model>(of model: M.Type, alias: String) -> String {
        M.keys.map { "\(alias).\"\($0.description)\"" }.joined(separator: ", ")
    }
}

extension PostgresBindings {
    /// The values bound to `$1`, `$2` … in order.
    static func of<each Value: PostgresEncodable>(_ value: repeat each Value) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        repeat try bindings.append(each value)
        return bindings
    }
}
