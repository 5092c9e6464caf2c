import Fluent
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor
import YingshangCore
import YingshangOffice

/// Entry points for the `yingshang` command: each builds the app, does one job and shuts it down.
/// The CLI target calls only these, so it never mixes ArgumentParser and Vapor's console types.
public enum Runner {
    /// Builds an application from the environment's configuration and runs `body` with it.
    static func withApp<T>(
        arguments: [String] = ["yingshang"], _ body: (Application) async throws -> T
    ) async throws -> T {
        let config = try AppConfig.fromEnvironment()
        // Production unless asked otherwise: in "development" Leaf re-reads and re-parses every template on every
        // request (a page at less than half the speed), which a county's server must not do by default.
        var env = Environment(name: ProcessInfo.processInfo.environment["YINGSHANG_ENV"] ?? "production", arguments: arguments)
        try bootstrapLogging(&env)
        let app = try await Application.make(env)
        do {
            try await configure(app, config: config)
            let result = try await body(app)
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    private static let loggingOnce: Void = {
        var env = Environment(name: "production", arguments: ["yingshang"])
        try? LoggingSystem.bootstrap(from: &env)
    }()

    static func bootstrapLogging(_ env: inout Environment) throws {
        _ = loggingOnce
    }

    /// The server runs Swift concurrency on NIO's event loops instead of Swift's own thread pool: a request's handler
    /// then runs on the loop that read it, without two thread hand-offs per request (survey submissions ~27 % faster;
    /// docs/benchmarks.md, thirty-second session). Work that keeps a core busy is sent to `CPUWork`, the register import
    /// and the draw have threads of their own, so the loops stay free for I/O. `YINGSHANG_EXECUTOR=swift` keeps Swift's pool (to compare,
    /// or should a handler ever need it). Called once by `main`, on the main thread, before any task starts.
    public static func adoptEventLoopsAsExecutor() {
        // Unset, empty or `event-loops`; anything else is refused by the configuration, which names the variable.
        guard ["", "event-loops"].contains(ProcessInfo.processInfo.environment["YINGSHANG_EXECUTOR"] ?? "") else { return }
        let adopted = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        executorAdopted.withLockedValue { $0 = adopted }
    }

    private static let executorAdopted = NIOLockedValueBox(false)

    /// What runs Swift concurrency in this process, for the start-up line.
    public static var executorDescription: String {
        executorAdopted.withLockedValue { $0 } ? "event loops" : "Swift's own executor"
    }

    public static func serve(hostname: String, port: Int, migrate: Bool) async throws {
        try await withApp(arguments: ["yingshang", "serve", "--hostname", hostname, "--port", String(port)]) { app in
            if migrate { try await app.autoMigrate() }
            let swept = try await RegisterUploads.sweep(app: app)
            if swept.files + swept.jobs > 0 {
                app.logger.notice("removed \(swept.files) stale register uploads, closed \(swept.jobs) interrupted import jobs")
            }
            let sweeper = RegisterUploads.startJobSweeper(app: app)
            let sessions = SessionSweeper.start(app: app)
            defer {
                sweeper.cancel()
                sessions.cancel()
            }
            try await app.execute()
            // The server has stopped accepting; let the requests already running finish before the databases close.
            let left = await app.inFlight.drain(timeout: .seconds(15))
            if left > 0 { app.logger.warning("stopping with \(left) requests still running after 15 s") }
            // The timed sweeps too: one in the middle of its work finishes it (they sleep between runs, and wake on cancel).
            sweeper.cancel()
            sessions.cancel()
            await sweeper.value
            await sessions.value
        }
    }

    public static func migrate(revert: Bool) async throws {
        try await withApp { app in try await AdminTasks.migrate(app: app, revert: revert) }
    }

    public static func demo(password: String?, registerSize: Int = 20000) async throws -> DemoLoader.Result {
        try await withApp { app in
            try await app.autoMigrate()
            return try await DemoLoader.load(app: app, password: password, registerSize: registerSize, scoringData: true)
        }
    }

    /// Writes the survey links of a draw as CSV (one row per enterprise, with its short code and expiry).
    public static func surveyTokens(draw: String, out: String, baseURL: String?, issue: Bool = false) async throws -> Int {
        try await withApp { app in
            let baseURL = baseURL ?? app.settings.publicURL ?? "http://127.0.0.1:8080"
            guard let id = UUID(uuidString: draw), let d = try await SampleDraw.find(id, on: app.db) else {
                throw AdminTasks.Failure(description: "抽样 \(draw) 不存在（--draw）")
            }
            if issue { _ = try await SurveyService.issue(d, by: nil, clock: app.clock, on: app.db) }
            return try await SurveyLinkList.write(draw: d, to: URL(fileURLWithPath: out), base: baseURL, on: app.db)
        }
    }

    /// Loads (or re-versions) the 18 national indicators. Returns the version number and whether it is new.
    public static func loadNationalCatalog() async throws -> (Int, Bool) {
        try await withApp { app in
            try await app.autoMigrate()
            let (v, isNew) = try await CatalogService.loadNational(by: nil, clock: app.clock, on: app.db)
            return (v.number, isNew)
        }
    }

    public static func addBReadyCatalog() async throws -> (Int, Bool) {
        try await withApp { app in
            try await app.autoMigrate()
            let (v, isNew) = try await CatalogService.addBReady(by: nil, clock: app.clock, on: app.db)
            return (v.number, isNew)
        }
    }

    /// Writes the current catalog as JSON or XLSX (by the file extension).
    public static func exportCatalog(to path: String) async throws -> Int {
        try await withApp { app in
            let (v, catalog) = try await CatalogService.requireCurrent(on: app.db)
            let data: Data
            if path.lowercased().hasSuffix(".xlsx") {
                data = try XLSX.write(CatalogWorkbook.sheets(catalog))
            } else {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                data = try encoder.encode(catalog)
            }
            try data.write(to: URL(fileURLWithPath: path))
            return v.number
        }
    }

    /// Imports a catalog file (JSON or XLSX, all-or-nothing). Returns the version number and whether it is new.
    public static func importCatalog(from path: String) async throws -> (Int, Bool) {
        try await withApp { app in
            try await app.autoMigrate()
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AdminTasks.Failure(description: "无法读取文件 \(path)")
            }
            let catalog: Catalog
            do {
                catalog = try CatalogImport.parse(data, filename: (path as NSString).lastPathComponent)
            } catch let e as CatalogImport.Failure {
                throw AdminTasks.Failure(description: e.messages.joined(separator: "\n"))
            }
            let (v, isNew) = try await CatalogService.save(
                catalog, note: "命令行导入 \((path as NSString).lastPathComponent)", by: nil, clock: app.clock, on: app.db)
            return (v.number, isNew)
        }
    }

    /// Seeds the dispatch benchmark campaign and returns its id and an API token for the coordinator.
    public static func seedBenchmark(units: Int, tasks: Int, seed: UInt64, password: String, enterprises: Int = 0) async throws
        -> (String, String)
    {
        try await withApp { app in
            try await app.autoMigrate()
            _ = try await DemoLoader.load(app: app, password: password)
            let id = try await BenchmarkSeed.seed(app: app, units: units, tasks: tasks, seed: seed)
            if enterprises > 0 { try await RegisterBenchmark.seed(app: app, campaignID: id, count: enterprises, seed: seed) }
            return (id.uuidString, "")
        }
    }

    /// A synthetic province for the province benchmark (PostgreSQL); returns the measured county's campaign name.
    public static func seedProvince(counties: Int, rows: Int) async throws -> String {
        try await withApp { app in
            try await app.autoMigrate()
            return try await ProvinceBenchmark.seed(app: app, counties: counties, rows: rows)
        }
    }

    /// A synthetic register CSV of the demo county, for the import benchmark.
    public static func generateRegister(rows: Int, seed: UInt64, to path: String) throws {
        try DemoCampaign.writeRegister(count: rows, seed: seed, to: path)
    }

    /// Imports an enterprise register file into a campaign; progress goes to `progress` (rows done, total).
    public static func importEnterprises(
        file: String, campaign: String, skipInvalid: Bool, errorReport: String?, progress: @escaping @Sendable (Int, Int) -> Void
    ) async throws -> (imported: Int, problems: [String], stored: Bool, summary: String) {
        try await withApp { app in
            try await app.autoMigrate()
            let id = try await findCampaign(campaign, on: app.db).requireID()
            guard FileManager.default.isReadableFile(atPath: file) else { throw AdminTasks.Failure(description: "无法读取文件 \(file)") }
            let outcome: RegisterImporter.Outcome
            do {
                outcome = try await RegisterImporter.run(
                    campaignID: id, source: .file(file), filename: file, skipInvalid: skipInvalid, db: app.db, progress: progress)
            } catch let e as AppError {
                throw AdminTasks.Failure(description: (e.fields ?? [:]).values.sorted().joined(separator: "\n"))
            }
            if let errorReport, !outcome.problems.isEmpty {
                try RegisterImporter.errorReport(outcome.problems).write(to: URL(fileURLWithPath: errorReport))
            }
            return (outcome.imported, outcome.problems.map(\.message), outcome.stored, outcome.summary)
        }
    }

    /// Draws a stratified sample and returns the allocation table lines and the draw id.
    public static func drawSample(
        campaign: String, size: Int, strata: [String], seed: UInt64, allocation: String, minPerStratum: Int, reserveRatio: Double,
        sdFile: String? = nil, sdColumn: String? = nil
    ) async throws -> (id: String, table: [String]) {
        try await withApp { app in
            let id = try await findCampaign(campaign, on: app.db).requireID()
            guard let method = StratifiedSampling.Allocation(rawValue: allocation) else {
                throw AdminTasks.Failure(description: "--allocation 应为 proportional、neyman 或 equal")
            }
            var sd: [String: Double] = [:]
            if let sdFile {
                // 层,标准差 per line (a header line is skipped); names as the allocation table shows them or keys.
                guard let data = FileManager.default.contents(atPath: sdFile), let (text, _) = TextDecoding.decode(data) else {
                    throw AdminTasks.Failure(description: "无法读取标准差文件 \(sdFile)（应为 UTF-8 或 GB18030 的 CSV）")
                }
                var problems: [String] = []
                for (i, row) in CSV.parse(text).enumerated() where !row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    let name = row.first?.trimmingCharacters(in: .whitespaces) ?? ""
                    let value = row.count > 1 ? Double(row[1].trimmingCharacters(in: .whitespaces)) : nil
                    if let value, value > 0, !name.isEmpty { sd[name] = value } else if i > 0 {
                        problems.append("第 \(i + 1) 行应为“层,标准差”且标准差为正数")
                    }
                }
                if !problems.isEmpty { throw AdminTasks.Failure(description: problems.joined(separator: "\n")) }
                sd = try await StratumLabels.resolveStratumNames(sd, on: app.db)
            }
            var p = DrawParameters(
                size: size, strata: strata, allocation: method, minPerStratum: minPerStratum, reserveRatio: reserveRatio, seed: seed,
                statuses: EnterpriseRegister.defaultSamplingStatuses, foundedBefore: nil, excludeDrawn: false, sd: sd)
            var notes: [String] = []
            if let sdColumn {
                // A register column as proxy; S_h given in the file win over it.
                let proxy = try await SampleService.proxyDeviations(id, p, column: sdColumn, on: app.db)
                let keys = try await SampleService.frame(id, p, on: app.db).keys.sorted()
                guard let fromColumn = proxy.standardDeviations(for: keys) else {
                    throw AdminTasks.Failure(description: "名单“\(sdColumn)”列的数值不足以计算标准差（至少需要 2 个不同的数值）")
                }
                p.sd = fromColumn.merging(sd) { _, typed in typed }
                let missing = proxy.missing(from: keys)
                notes.append("标准差取自名单“\(sdColumn)”列（\(proxy.overall.count) 个数值）" + (missing.isEmpty ? "" : "，\(missing.count) 层用全部企业的标准差")
                    + (proxy.notNumbers == 0 ? "" : "，\(proxy.notNumbers) 个非数字单元格未计入"))
            }
            let errors = SampleService.validate(p)
            if !errors.isEmpty { throw AdminTasks.Failure(description: errors.values.sorted().joined(separator: "\n")) }
            do {
                let started = Date()
                let d = try await SampleService.draw(id, p, by: nil, clock: app.clock, on: app.db)
                let elapsed = Date().timeIntervalSince(started)
                let lines = notes + ["层\tN_h\tn_h\t备选"] + d.allocation.map { "\($0.stratum)\t\($0.population)\t\($0.sample)\t\($0.reserve)" }
                    + [String(format: "抽样用时 %.2f 秒（框 %d 家）", elapsed, d.allocation.reduce(0) { $0 + $1.population })]
                return (try d.requireID().uuidString, lines)
            } catch let e as AppError {
                throw AdminTasks.Failure(description: ([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "\n"))
            }
        }
    }

    static func findCampaign(_ ref: String, on db: any Database) async throws -> Campaign {
        if let id = UUID(uuidString: ref), let c = try await Campaign.find(id, on: db) { return c }
        if let c = try await Campaign.query(on: db).filter(\.$name == ref).first() { return c }
        let names = try await Campaign.query(on: db).sort(\.$year, .descending).all().map { "  \($0.id?.uuidString ?? "")  \($0.name)" }
        throw AdminTasks.Failure(description: (["评价任务 \(ref) 不存在（--campaign 填 id 或名称）；现有："] + names).joined(separator: "\n"))
    }

    /// Runs scoring for a campaign and returns the score table as tab-separated lines (regions as columns).
    public static func score(campaign: String) async throws -> [String] {
        try await withApp { app in
            let c = try await findCampaign(campaign, on: app.db)
            let run: ScoringRun
            do { run = try await ScoringService.run(c, by: nil, clock: app.clock, on: app.db) } catch let e as AppError {
                throw AdminTasks.Failure(description: ([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "\n"))
            }
            let result = try run.result()
            var lines = ["第 \(run.number) 次评分  \(c.name)", (["指标"] + result.regions.map { $0.name + ($0.isBenchmark ? "(对标)" : "") }).joined(separator: "\t")]
            for (i, ind) in (result.regions.first?.indicators ?? []).enumerated() {
                lines.append(([ind.nameZh] + result.regions.map { r in
                    let x = r.indicators[i]
                    return (x.score.map(Scoring.fmt2) ?? "未填报") + (x.rank.map { "(#\($0))" } ?? "")
                }).joined(separator: "\t"))
            }
            lines.append((["综合得分"] + result.regions.map { ($0.overall.map(Scoring.fmt2) ?? "未评分") + ($0.rank.map { "(#\($0))" } ?? "") }).joined(separator: "\t"))
            lines += result.warnings.map { "! " + $0 }
            return lines
        }
    }

    /// Writes the evaluation report of the latest scoring run as html, pdf or xlsx; returns a one-line summary.
    public static func report(campaign: String, region: String?, format: String, out: String) async throws -> String {
        try await withApp { app in
            let c = try await findCampaign(campaign, on: app.db)
            guard let run = try await ScoringService.latest(c, on: app.db) else {
                throw AdminTasks.Failure(description: "评价任务“\(c.name)”尚未评分：请先运行 yingshang score --campaign \(campaign)")
            }
            var regionID: String? = nil
            if let region {
                let result = try run.result()
                guard let r = result.assessed.first(where: { $0.name == region || $0.id == region }) else {
                    throw AdminTasks.Failure(description: "--region \(region) 不是本次被评价地区：" + result.assessed.map(\.name).joined(separator: "、"))
                }
                regionID = r.id
            }
            let report = try await ReportBuilder.build(c, run: run, regionID: regionID, now: app.clock.now(), on: app.db)
            let data: Data
            switch format {
            case "html":
                let v = try await app.view.render("report/report", ReportController.Context(body: report, standalone: true, canEdit: false)).get()
                data = Data(String(buffer: v.data).utf8)
            case "pdf":
                do { data = try await ReportController.renderPDF(report, view: app.view) } catch let e as AppError {
                    throw AdminTasks.Failure(description: e.message)
                }
            case "xlsx": data = try XLSX.write(try await ReportController.workbook(c, run: run, report: report, today: app.clock.today, on: app.db))
            default: throw AdminTasks.Failure(description: "--format 应为 html、pdf 或 xlsx")
            }
            try data.write(to: URL(fileURLWithPath: out))
            return "已写入 \(out)（\(report.regionName)，综合得分 \(report.overall)，\(data.count) 字节）"
        }
    }

    /// Runs the integrity benchmark (planted falsifications vs clean cases) and returns the result table.
    public static func integrityBenchmark(seed: UInt64, counties: Int, plantRate: Double) -> [String] {
        let entries = CalendarEntry.parseList(DemoCampaign.holidays2022).entries
        let calendar = WorkCalendar(
            holidays: Set(entries.filter { $0.kind == .holiday }.map(\.day)), makeUpWorkdays: Set(entries.filter { $0.kind == .workday }.map(\.day)))
        let started = Date()
        let report = IntegrityBenchmark.run(seed: seed, counties: counties, plantRate: plantRate, calendar: calendar)
        let elapsed = Date().timeIntervalSince(started)
        func line(_ name: String, _ t: IntegrityBenchmark.Tally) -> String {
            "\(name)\t\(t.planted)\t\(t.detected)\t\(String(format: "%.1f%%", t.recall * 100))\t\(t.clean)\t\(t.falsePositives)\t\(String(format: "%.2f%%", t.falsePositiveRate * 100))"
        }
        var lines = ["规则\t植入\t查出\t查出率\t正常\t误报\t误报率"]
        for rule in FlagRule.allCases { if let t = report.byRule[rule] { lines.append(line(rule.chineseName, t)) } }
        lines.append(line("合计", report.total))
        lines.append(String(format: "seed %llu, %d counties, plant rate %.2f, %.2f s", seed, counties, plantRate, elapsed))
        return lines
    }

    public static func createUser(
        username: String, displayName: String?, role: String, unitCode: String, regionCodes: [String] = [], password: String
    ) async throws {
        try await withApp { app in
            try await app.autoMigrate()
            try await AdminTasks.createUser(
                app: app, username: username, displayName: displayName, role: role, unitCode: unitCode, regionCodes: regionCodes,
                password: password)
        }
    }

    /// Issues a data feed key as `by` (a coordinator or administrator, named in the audit log); returns the key,
    /// which is shown this once.
    public static func issueFeedKey(campaign: String, region: String, indicator: String, name: String, by username: String) async throws -> String {
        try await withApp { app in
            let c = try await findCampaign(campaign, on: app.db)
            let caller = try await caller(username, may: .manageFeeds, app: app)
            // The acting account's region scope applies on the command line as on the web.
            do { try await CampaignService.checkScope(c, scope: caller.scope, action: .manageFeeds, on: app.db) } catch let e as AppError {
                throw AdminTasks.Failure(description: "--by \(username)：" + e.message)
            }
            let regions = try await CampaignService.details(c, on: app.db).regions
            guard let r = regions.first(where: { $0.code == region || $0.name == region || $0.id?.uuidString == region }) else {
                throw AdminTasks.Failure(description: "被评价地区 \(region) 不在评价任务中；可用：" + regions.map { "\($0.code) \($0.name)" }.joined(separator: "、"))
            }
            do {
                let (_, secret) = try await FeedService.issue(c, regionID: r.id?.uuidString, indicator: indicator, name: name, by: caller)
                return secret
            } catch let e as AppError {
                throw AdminTasks.Failure(description: ([e.message] + (e.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)：\($0.value)" }).joined(separator: "\n"))
            }
        }
    }

    /// A campaign's feed keys, one line each: prefix, state, indicator, region, name, batches.
    public static func feedKeys(campaign: String) async throws -> [String] {
        try await withApp { app in
            let c = try await findCampaign(campaign, on: app.db)
            let regions = Dictionary(try await CampaignService.details(c, on: app.db).regions.compactMap { r in r.id.map { ($0, r.name) } },
                                     uniquingKeysWith: { a, _ in a })
            var lines: [String] = []
            for k in try await DataFeedKey.query(on: app.db).filter(\.$campaign.$id == c.requireID()).sort(\.$createdAt).all() {
                let batches = try await DataFeedBatch.query(on: app.db).filter(\.$key.$id == k.requireID()).count()
                lines.append([k.keyPrefix + "…", k.revokedAt == nil ? "有效" : "已停用", k.indicatorCode, regions[k.$region.id] ?? "", k.name,
                              "\(batches) 批"].joined(separator: "\t"))
            }
            return lines
        }
    }

    /// Revokes the campaign's key starting with `prefix` (at least 8 characters, as `feed list` shows them).
    public static func revokeFeedKey(campaign: String, prefix: String, by username: String) async throws -> String {
        try await withApp { app in
            let c = try await findCampaign(campaign, on: app.db)
            let caller = try await caller(username, may: .manageFeeds, app: app)
            // The acting account's region scope applies on the command line as on the web.
            do { try await CampaignService.checkScope(c, scope: caller.scope, action: .manageFeeds, on: app.db) } catch let e as AppError {
                throw AdminTasks.Failure(description: "--by \(username)：" + e.message)
            }
            let wanted = prefix.hasSuffix("…") ? String(prefix.dropLast()) : prefix
            let keys = try await DataFeedKey.query(on: app.db).filter(\.$campaign.$id == c.requireID()).all()
                .filter { wanted.count >= 8 && ($0.keyPrefix.hasPrefix(wanted) || wanted.hasPrefix($0.keyPrefix)) }
            guard keys.count == 1, let key = keys.first else {
                throw AdminTasks.Failure(description: keys.isEmpty ? "没有以 \(prefix) 开头的密钥（yingshang feed list 列出密钥）" : "有多个密钥以 \(prefix) 开头，请写得更长")
            }
            do { try await FeedService.revoke(key, by: caller) } catch let e as AppError { throw AdminTasks.Failure(description: e.message) }
            return key.name
        }
    }

    /// The active account named by `--by`, allowed `action`, with its region scope (the change is audited as it).
    private static func caller(_ username: String, may action: Action, app: Application) async throws -> Caller {
        guard let user = try await User.query(on: app.db).filter(\.$username == username).first(), user.isActive,
              let role = Role(rawValue: user.role), Permissions.allows(role, action)
        else {
            throw AdminTasks.Failure(description: "--by 应为有权执行此操作的账户（审批局工作人员或系统管理员）：\(username)")
        }
        return try app.caller(user, scope: try await RegionScopes.scope(of: try user.requireID(), on: app.db))
    }

    /// Creates a monitoring round of `campaign` as `by`; returns a summary line.
    public static func createRound(
        campaign: String, period: String, year: Int?, number: Int, indicators: [String]?, filingStart: String?, filingEnd: String?, by: String
    ) async throws -> String {
        try await withApp { app in
            let parent = try await findCampaign(campaign, on: app.db)
            let caller = try await caller(by, may: .manageCampaigns, app: app)
            try CampaignService.requireInScope(try await CampaignService.details(parent, on: app.db).regionIDs, caller)
            let all = try await CampaignService.details(parent, on: app.db).indicators.map(\.code)
            let codes = indicators ?? all
            let input = RoundInput(period: period, year: year, number: number, filingStart: filingStart, filingEnd: filingEnd, indicatorCodes: codes)
            let round: Campaign
            do { round = try await RoundService.create(parent, input, by: caller) } catch let e as AppError {
                throw AdminTasks.Failure(description: ([e.message] + (e.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })
                    .joined(separator: "\n"))
            }
            let filing = try await CampaignService.details(round, on: app.db).phase(.filing)
            return "\(round.id?.uuidString ?? "")  \(round.name)  填报 \(filing.map { "\($0.start)–\($0.end)" } ?? "")  \(round.campaignStatus.chineseName)"
        }
    }

    /// A campaign's rounds and the overall score of each assessed region per round, tab-separated.
    public static func listRounds(campaign: String) async throws -> [String] {
        try await withApp { app in
            let parent = try await findCampaign(campaign, on: app.db)
            let list = try await RoundService.list(of: parent, scope: .unrestricted, on: app.db)
            var lines = list.rounds.map { "\($0.label)\t填报 \($0.filingStart)–\($0.filingEnd)\t已报送 \($0.handedIn)/\($0.total)\t\($0.scored ? "已评分" : "未评分")\t\($0.id)" }
            if !list.trend.overall.isEmpty {
                lines.append((["综合得分"] + list.trend.labels).joined(separator: "\t"))
                for l in list.trend.overall { lines.append(([l.regionName] + l.values.map { $0.map(Scoring.fmt2) ?? "—" }).joined(separator: "\t")) }
            }
            return lines
        }
    }

    public static func resetPassword(username: String, password: String) async throws {
        try await withApp { app in try await AdminTasks.resetPassword(app: app, username: username, password: password) }
    }

    public struct AuditReport: Sendable {
        public let intact: Bool
        public let message: String
        public let count: Int
        public let headHash: String
    }

    /// `yingshang audit verify`: the audit log's hash chain, checked end to end.
    public static func verifyAudit() async throws -> AuditReport {
        try await withApp { app in
            let (finding, count, head) = try await AuditLog.verify(on: app.db)
            return AuditReport(intact: finding == nil, message: finding?.description ?? "", count: count, headHash: head)
        }
    }

    /// The database copy, then (optionally) the evidence files; returns how many evidence files were copied.
    public static func backup(to path: String, evidence: String?) async throws -> Int {
        try await withApp { app in
            try await AdminTasks.backup(app: app, to: path)
            return try evidence.map { try AdminTasks.backupEvidence(app: app, to: $0) } ?? 0
        }
    }

    /// A one-line description of where data lives, for the CLI's output.
    /// Throws `AppConfig.Invalid`, naming every malformed variable, when the environment's settings are wrong.
    public static func checkConfiguration() throws {
        _ = try AppConfig.fromEnvironment()
    }

    public static func databaseDescription() -> String {
        guard let config = try? AppConfig.fromEnvironment() else { return "?" }
        switch config.database {
        case .sqlite(let path): return "SQLite \(path)"
        case .sqliteMemory: return "SQLite (memory)"
        case .postgres: return "PostgreSQL (DATABASE_URL)"
        }
    }
}

/// Lets the CLI write to stderr without importing Foundation's FileHandle itself.
public enum FileHandleWriter {
    public static func writeStderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

extension AppError: CustomStringConvertible {
    var description: String {
        ([message] + (fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }).joined(separator: "\n")
    }
}
