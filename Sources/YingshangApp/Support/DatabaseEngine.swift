import Fluent
import SQLKit

/// Which of the two supported databases a connection is — the one way the code tells them apart: by the SQL
/// dialect both drivers report. (The engine-specific paths themselves are the register's bulk writers, the
/// migrations that rebuild SQLite tables, SQLite's write gate and the dialect differences in a few queries.)
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

extension SQLDatabase {
    var engine: DatabaseEngine { dialect.name == "sqlite" ? .sqlite : .postgres }
}

extension Database {
    /// Both drivers' databases are SQL databases; anything else (none today) counts as PostgreSQL-like.
    var engine: DatabaseEngine { (self as? any SQLDatabase)?.engine ?? .postgres }
}
