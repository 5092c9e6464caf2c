import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import SQLKit
import Vapor
import YingshangCore

/// Settings that the running app needs after start-up.
struct AppSettingsKey: StorageKey { typealias Value = AppConfig }

extension Application {
    var settings: AppConfig {
        get {
            guard let s = storage[AppSettingsKey.self] else { fatalError("configure(_:config:) was not called") }
            return s
        }
        set { storage[AppSettingsKey.self] = newValue }
    }

    /// The one clock (see `AppClock`); a test sets `app.settings.clock`.
    var clock: AppClock { settings.clock }
}

extension Request {
    var clock: AppClock { application.clock }
}

/// Assembles the application: database, sessions, views, middleware, migrations and routes.
public func configure(_ app: Application, config: AppConfig) async throws {
    app.settings = config
    app.directory = DirectoryConfiguration(workingDirectory: config.rootDirectory.hasSuffix("/")
        ? config.rootDirectory : config.rootDirectory + "/")

    switch config.database {
    case .sqlite(let path):
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .postgres(let url, let searchPath):
        var pg = try SQLPostgresConfiguration(url: url)
        if let searchPath { pg.searchPath = [searchPath] }
        app.databases.use(.postgres(configuration: pg, maxConnectionsPerEventLoop: 4), as: .psql)
    }

    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    // Forms and JSON bodies; catalog imports and evidence uploads set their own limits.
    app.routes.defaultMaxBodySize = "1mb"

    app.sessions.use(.fluent)
    let secure = config.secureCookies
    // Max-Age rather than Expires: the same eight hours, and Vapor formats an Expires date with a new DateFormatter on
    // every response (a third of a signed-in request's time in the profile; docs/benchmarks.md).
    app.sessions.configuration = SessionsConfiguration(cookieName: "yingshang_session") { id in
        HTTPCookies.Value(
            string: id.string, expires: nil, maxAge: 8 * 3600, domain: nil, path: "/",
            isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    app.views.use(.leaf)

    app.middleware = .init()
    // First, so that stopping waits for every request that got this far (Runner.serve drains before shutdown).
    app.middleware.use(InFlightMiddleware(inFlight: app.inFlight))
    // Created here, before requests run in parallel (`instanceValue`).
    _ = app.dispatchCache
    _ = app.surveyWriteQueue
    _ = app.cpuWork
    app.lifecycle.use(CPUWork.Lifecycle())
    app.middleware.use(SecurityHeadersMiddleware(hsts: config.secureCookies))
    app.middleware.use(RequestMetricsMiddleware())
    app.middleware.use(AppErrorMiddleware(environment: app.environment))
    app.middleware.use(AnnouncedBodyLimitMiddleware())
    app.middleware.use(APIContractMiddleware())
    app.middleware.use(StaticFilesMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(SessionsMiddleware(session: SparseSessionDriver(inner: app.sessions.driver, read: SignedInRead.session), configuration: app.sessions.configuration))
    app.middleware.use(CSRFCookieMiddleware())
    app.storage[PageCaches.Key.self] = PageCaches()
    app.storage[SharedRefusalThrottle.Key.self] = SharedRefusalThrottle()
    app.storage[SecurityPolicyService.Cache.Key.self] = SecurityPolicyService.Cache()

    Migrations.register(on: app)
    try routes(app)

    if case .sqlite = config.database, let sql = app.db as? any SQLDatabase {
        // WAL lets readers proceed while one connection writes; it is a property of the file, kept across restarts.
        try await sql.raw("PRAGMA journal_mode=WAL").run()
    }
}

/// The ordered, append-only list of migrations.
enum Migrations {
    /// In order; a deployment runs those it has not run yet.
    static var all: [any Migration] {
        [
            SessionRecord.migration,
            CreateRegion(),
            CreateUnit(),
            CreateUser(),
            CreateAPIToken(),
            CreateAuditEntry(),
            CreateCatalogVersion(),
            CreateCampaignTables(),
            AddCampaignIndexes(),
            CreateDataRevision(),
            CreateFilingTables(),
            CreateQuestionTables(),
            CreateFilingContribution(),
            CreateTaskAttachment(),
            CreateRegisterTables(),
            CreateSampleTables(),
            CreateSurveyTables(),
            AddSurveyExpiry(),
            CreateScoringTables(),
            CreateRectificationTables(),
            CreateLibraryTables(),
            CreateVerificationTables(),
            AddAttachmentIssuedOn(),
            MoveEnterpriseKeyToIndex(),
            MoveRegisterToIntegerKeys(),
            SeedOfficialHolidays(),
            AddImportJobLease(),
            AddAuditChain(),
            AddRectificationDeadlineRequest(),
            CreateSecurityPolicy(),
            CreateThresholdTables(),
            AddPreviousCampaign(),
            CreateDataFeedTables(),
            CreateScheduledRuns(),
            AddImportJobProgress(),
            CreateUserRegions(),
            PartitionRegisterOnPostgres(),
            KeyRegisterByIDFirst(),
            CreateRegisterCounts(),
            CheckEnterpriseInTheDrawsRegister(),
            CollateCreditCodesBytewise(),
            AddMonitoringRounds(),
            CheckEnterprisesPerStatement(),
            IndexUnreadNotifications(),
        ]
    }

    static func register(on app: Application) {
        for migration in all { app.migrations.add(migration) }
    }
}
