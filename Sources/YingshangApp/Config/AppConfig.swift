import Foundation
import YingshangCore

/// All settings, read once from the environment (the only place `Environment.get` happens).
public struct AppConfig: Sendable {
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case sqliteMemory
        case postgres(url: String, searchPath: String?)

        public var engine: DatabaseEngine {
            switch self {
            case .sqlite, .sqliteMemory: return .sqlite
            case .postgres: return .postgres
            }
        }
    }

    public var database: Database
    public var dataDirectory: String
    /// Bcrypt cost; tests lower it so a login does not take a quarter second.
    public var bcryptCost: Int
    /// Secure cookies need HTTPS (or localhost); plain-http LAN deployments turn this off.
    public var secureCookies: Bool
    public var apiTokenLifetime: TimeInterval
    /// Root holding Resources/ and Public/; defaults to the working directory.
    public var rootDirectory: String
    /// Largest evidence upload, in bytes (YINGSHANG_UPLOAD_LIMIT_MB, default 50).
    public var uploadLimitBytes: Int = 50 << 20
    /// Idle and absolute lifetime of a browser session (YINGSHANG_SESSION_IDLE_MINUTES, YINGSHANG_SESSION_MAX_HOURS).
    public var sessionPolicy: SessionPolicy = .standard
    /// How often expired sessions are swept (YINGSHANG_SWEEP_SECONDS, 10–86,400; default 10 minutes), once per period
    /// across instances.
    public var sweepSeconds: TimeInterval = 600
    /// The address enterprises and the public use (YINGSHANG_PUBLIC_URL, e.g. https://yingshang.example.gov.cn),
    /// for survey links and letters. Behind a load balancer the request's Host is an internal name, so this wins.
    public var publicURL: String?
    /// The application's clock (YINGSHANG_TODAY=YYYY-MM-DD runs it as if today were that day, for demonstrating or
    /// replaying a past campaign on its own dates; tests set a fixed clock).
    public var clock: AppClock = .system

    /// Where evidence files live, by content hash. Several app instances share it (NFS or similar).
    public var evidenceDirectory: String { (dataDirectory as NSString).appendingPathComponent("evidence") }

    public init(
        database: Database, dataDirectory: String, bcryptCost: Int = 12, secureCookies: Bool = true,
        apiTokenLifetime: TimeInterval = 12 * 3600, rootDirectory: String
    ) {
        self.database = database
        self.dataDirectory = dataDirectory
        self.bcryptCost = bcryptCost
        self.secureCookies = secureCookies
        self.apiTokenLifetime = apiTokenLifetime
        self.rootDirectory = rootDirectory
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String { "配置错误 / invalid configuration:\n" + problems.joined(separator: "\n") }
    }

    /// YINGSHANG_EXECUTOR's values (`Runner.adoptEventLoopsAsExecutor`).
    static let executorChoices: Set<String> = ["", "event-loops", "swift"]

    /// Reads YINGSHANG_DATA_DIR, DATABASE_URL, YINGSHANG_BCRYPT_COST, YINGSHANG_SECURE_COOKIES, YINGSHANG_ROOT,
    /// YINGSHANG_UPLOAD_LIMIT_MB, YINGSHANG_PUBLIC_URL, YINGSHANG_SWEEP_SECONDS, YINGSHANG_EXECUTOR (checked only:
    /// `Runner.adoptEventLoopsAsExecutor` reads it before any configuration, and adopts nothing on a bad value).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        var problems: [String] = []
        let dataDir = env["YINGSHANG_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        var database = Database.sqlite(path: (dataDir as NSString).appendingPathComponent("yingshang.sqlite"))
        if let url = env["DATABASE_URL"], !url.isEmpty {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                database = .postgres(url: url, searchPath: nil)
            } else {
                problems.append("DATABASE_URL 必须以 postgres:// 开头（不设置则使用内置 SQLite）")
            }
        }
        var cost = 12
        if let raw = env["YINGSHANG_BCRYPT_COST"], !raw.isEmpty {
            if let c = Int(raw), (4...31).contains(c) { cost = c } else { problems.append("YINGSHANG_BCRYPT_COST 应为 4–31 的整数") }
        }
        var secure = true
        if let raw = env["YINGSHANG_SECURE_COOKIES"], !raw.isEmpty {
            switch raw.lowercased() {
            case "1", "true", "yes": secure = true
            case "0", "false", "no": secure = false
            default: problems.append("YINGSHANG_SECURE_COOKIES 应为 true 或 false")
            }
        }
        var uploadLimit = 50
        if let raw = env["YINGSHANG_UPLOAD_LIMIT_MB"], !raw.isEmpty {
            if let n = Int(raw), (1...2048).contains(n) { uploadLimit = n } else { problems.append("YINGSHANG_UPLOAD_LIMIT_MB 应为 1–2048 的整数") }
        }
        var publicURL: String? = nil
        if let raw = env["YINGSHANG_PUBLIC_URL"], !raw.isEmpty {
            let trimmed = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
            if let url = URL(string: trimmed), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil {
                publicURL = trimmed
            } else {
                problems.append("YINGSHANG_PUBLIC_URL 应为 http:// 或 https:// 开头的网址，如 https://yingshang.example.gov.cn")
            }
        }
        var policy = SessionPolicy.standard
        if let raw = env["YINGSHANG_SESSION_IDLE_MINUTES"], !raw.isEmpty {
            if let n = Int(raw), (1...1440).contains(n) { policy.idle = TimeInterval(n * 60) } else {
                problems.append("YINGSHANG_SESSION_IDLE_MINUTES 应为 1–1440 的整数（分钟）")
            }
        }
        if let raw = env["YINGSHANG_SESSION_MAX_HOURS"], !raw.isEmpty {
            if let n = Int(raw), (1...168).contains(n) { policy.absolute = TimeInterval(n * 3600) } else {
                problems.append("YINGSHANG_SESSION_MAX_HOURS 应为 1–168 的整数（小时）")
            }
        }
        var sweep: TimeInterval = 600
        if let raw = env["YINGSHANG_SWEEP_SECONDS"], !raw.isEmpty {
            if let n = Int(raw), (10...86_400).contains(n) { sweep = TimeInterval(n) } else {
                problems.append("YINGSHANG_SWEEP_SECONDS 应为 10–86400 的整数（秒）")
            }
        }
        if let raw = env["YINGSHANG_EXECUTOR"], !Self.executorChoices.contains(raw) {
            problems.append("YINGSHANG_EXECUTOR 应为 event-loops（默认）或 swift")
        }
        var clock = AppClock.system
        if let raw = env["YINGSHANG_TODAY"], !raw.isEmpty {
            if let day = Day(raw) { clock = AppClock.system.shifted(to: day) } else { problems.append("YINGSHANG_TODAY 应为 YYYY-MM-DD 格式的日期") }
        }
        let root = env["YINGSHANG_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.currentDirectoryPath
        if !problems.isEmpty { throw Invalid(problems: problems) }
        var config = AppConfig(
            database: database, dataDirectory: dataDir, bcryptCost: cost, secureCookies: secure, rootDirectory: root)
        config.uploadLimitBytes = uploadLimit << 20
        config.publicURL = publicURL
        config.sessionPolicy = policy
        config.sweepSeconds = sweep
        config.clock = clock
        return config
    }
}
