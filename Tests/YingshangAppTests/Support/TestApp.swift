import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import YingshangApp

/// The databases the suite runs on: SQLite always, PostgreSQL when YINGSHANG_TEST_DATABASE_URL is set
/// (`.ci/run` sets it), so one `swift test` covers both.
enum TestDatabase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["YINGSHANG_TEST_DATABASE_URL"] ?? ""
        return url.isEmpty ? nil : url
    }

    static var available: [TestDatabase] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

let demoPassword = "demo12345"

/// Runs `body` against a freshly migrated app. On PostgreSQL each test gets its own schema, so tests run in
/// parallel without seeing each other's rows.
/// `beforeMigrate` runs on the configured, still empty database (upgrade tests bring it to an older schema there).
/// `sqliteFile`: SQLite in a temporary file rather than in memory, as the application runs it (paths that open a
/// connection of their own need a file).
func withApp(
    _ db: TestDatabase, seedDemo: Bool = true, sqliteFile: Bool = false, beforeMigrate: ((Application) async throws -> Void)? = nil,
    _ body: (Application) async throws -> Void
) async throws {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .warning
    let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let database: AppConfig.Database
    switch db {
    case .sqlite: database = sqliteFile ? .sqlite(path: NSTemporaryDirectory() + "/yingshang-\(schema).sqlite") : .sqliteMemory
    case .postgres: database = .postgres(url: TestDatabase.postgresURL ?? "", searchPath: schema)
    }
    let config = AppConfig(
        database: database, dataDirectory: NSTemporaryDirectory(), bcryptCost: 4, secureCookies: true,
        rootDirectory: packageRoot)
    do {
        try await configure(app, config: config)
        if db == .postgres, let sql = app.db as? any SQLDatabase {
            try await sql.raw("CREATE SCHEMA \(ident: schema)").run()
        }
        try await beforeMigrate?(app)
        try await app.autoMigrate()
        if seedDemo { _ = try await DemoLoader.load(app: app, password: demoPassword) }
        try await body(app)
    } catch {
        await teardown(app, db, schema)
        throw error
    }
    await teardown(app, db, schema)
}

private func teardown(_ app: Application, _ db: TestDatabase, _ schema: String) async {
    if db == .postgres, let sql = app.db as? any SQLDatabase {
        try? await sql.raw("DROP SCHEMA \(ident: schema) CASCADE").run()
    }
    let file: String? = if case .sqlite(let path) = app.settings.database { path } else { nil }
    try? await app.asyncShutdown()
    if let file {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
    }
}

/// Where the survey API's submissions are written: through Fluent on SQLite (in memory) or PostgreSQL, or through
/// `SurveyBatchesSQLite` on a SQLite file.
enum SurveyStore: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, sqliteFile, postgres

    static var available: [SurveyStore] { TestDatabase.postgresURL == nil ? [.sqlite, .sqliteFile] : allCases }
    var testDescription: String { rawValue }
    var database: TestDatabase { self == .postgres ? .postgres : .sqlite }
}

func withApp(_ store: SurveyStore, _ body: (Application) async throws -> Void) async throws {
    try await withApp(store.database, sqliteFile: store == .sqliteFile, body)
}

// MARK: - Signing in

extension Application {
    /// A bearer token for `username` (demo password unless given).
    func apiToken(_ username: String, password: String = demoPassword) async throws -> String {
        struct Reply: Content { let token: String }
        let res = try await send(.POST, "/api/v1/auth/login", json: ["username": username, "password": password])
        try #require(res.status == .ok, "login of \(username) failed: \(res.text)")
        return try res.decode(Reply.self).token
    }

    /// A logged-in browser session: its cookie and the current CSRF token.
    func webSession(_ username: String, password: String = demoPassword) async throws -> WebSession {
        var session = WebSession(cookie: "", csrf: "")
        session.absorb(try await send(.GET, "/login"))
        let res = try await send(
            .POST, "/login", headers: session.headers,
            form: ["_csrf": session.csrf, "username": username, "password": password, "next": "/"])
        try #require(res.status == .seeOther, "web login of \(username) failed: \(res.status)")
        session.absorb(res)
        let home = try await send(.GET, "/", headers: session.headers)
        try #require(home.status == .ok)
        session.absorb(home)
        return session
    }
}

struct WebSession {
    var cookie: String
    var csrf: String

    /// Keeps the cookies a browser would (the session and a visitor's CSRF cookie) and picks up the CSRF token
    /// from a rendered form.
    mutating func absorb(_ res: TestingHTTPResponse) {
        if let set = res.headers.setCookie {
            var jar: [String: String] = [:]
            for pair in cookie.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { jar[kv[0]] = kv[1] }
            }
            for (name, value) in set.all { jar[name] = value.string.isEmpty ? nil : value.string }
            cookie = jar.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if let token = extractCSRF(res.body.string) { csrf = token }
    }

    /// The session id the browser holds, if any.
    var sessionID: String? {
        cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("yingshang_session=") }.map { String($0.dropFirst("yingshang_session=".count)) }
    }

    var headers: HTTPHeaders { ["Cookie": cookie] }
}

func extractCSRF(_ html: String) -> String? {
    guard let range = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
    let rest = html[range.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}

extension HTTPHeaders {
    static func bearer(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)"] }
}

/// The error envelope every API error uses.
struct APIErrorBody: Content {
    struct Detail: Content {
        let code: String
        let message: String
        let fields: [String: String]?
    }
    let error: Detail
}

/// Looks up demo rows by their natural keys.
extension Application {
    func unitID(_ code: String) async throws -> UUID {
        try #require(try await Unit.query(on: db).filter(\.$code == code).first()?.id)
    }

    func userID(_ username: String) async throws -> UUID {
        try #require(try await User.query(on: db).filter(\.$username == username).first()?.id)
    }
}

// MARK: - Requests

extension Application {
    /// Sends one request; `json` or `form` become the body.
    func send(
        _ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], json: (any Encodable & Sendable)? = nil,
        form: [String: String]? = nil, raw: String? = nil, formBody: String? = nil
    ) async throws -> TestingHTTPResponse {
        try await testing().sendRequest(method, path, headers: headers) { req in
            if let json {
                req.headers.contentType = .json
                req.body = ByteBuffer(data: try JSONEncoder().encode(json))
            }
            if let form { try req.content.encode(form, as: .urlEncodedForm) }
            if let raw {
                req.headers.contentType = .json
                req.body = ByteBuffer(string: raw)
            }
            // A form with repeated names in order (code[]=…&warning[]=…), as a browser posts a table.
            if let formBody {
                req.headers.contentType = .urlEncodedForm
                req.body = ByteBuffer(string: formBody)
            }
        }
    }
}

extension TestingHTTPResponse {
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T { try content.decode(T.self) }
    var apiError: APIErrorBody.Detail? { try? content.decode(APIErrorBody.self).error }
    var text: String { body.string }
}
