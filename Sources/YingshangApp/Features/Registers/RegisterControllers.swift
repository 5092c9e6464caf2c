import Fluent
import SQLKit
import SQLiteNIO
import PostgresKit
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/register`: browse, import (a background job with progress) and export the enterprise register;
/// `/campaigns/:id/samples`: stratified draws, their allocation tables and replacements.
struct RegisterWebController {
    struct Row: Encodable {
        let uscc: String
        let name: String
        let township: String
        let industry: String
        let size: String
        let status: String
        let founded: String
    }

    struct Count: Encodable {
        let label: String
        let value: Int
        var selected = false
        /// The register filtered to this value (with the other filters kept).
        var href: String? = nil
    }

    struct Group: Decodable {
        let township_code: String?
        let industry: String?
        let size: String?
        let n: Int
    }

    static func queryString(_ values: [String: String]) -> String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let rows: [Row]
        let pager: Pager
        let q: String
        let total: Int
        /// Set when a township, industry or size filter is on: the unfiltered register's address.
        let filtered: String?
        let byTownship: [Count]
        let byIndustry: [Count]
        let bySize: [Count]
        let canManage: Bool
        let canDraw: Bool
    }

    func register(_ g: Guarded, api: Guarded) {
        g.get("campaigns", ":id", "register", action: .viewRegister, use: index)
        g.post("campaigns", ":id", "register", "import", action: .manageRegister, maxBody: 200 << 20, use: startImport)
        g.putStream("campaigns", ":id", "register", "upload", action: .manageRegister, use: startUpload)
        g.personalDataExport("campaigns", ":id", "register.csv", action: .viewRegister, use: export)
        g.get("jobs", ":jobID", action: .viewRegister, use: job)
        api.get("jobs", ":jobID", action: .viewRegister, use: jobJSON)
        g.get("campaigns", ":id", "samples", action: .viewRegister, use: samples)
        g.post("campaigns", ":id", "samples", "preview", action: .drawSamples, use: preview)
        g.post("campaigns", ":id", "samples", action: .drawSamples, use: draw)
        g.get("samples", ":drawID", action: .viewRegister, use: showDraw)
        g.get("samples", ":drawID", "export.csv", action: .viewRegister, use: exportDraw)
        g.post("samples", ":drawID", "members", ":memberID", "replace", action: .drawSamples, use: replace)
    }

    @Sendable func index(req: Request) async throws -> View {
        let c = try await CampaignService.find(req)
        let cid = try c.requireID()
        let lq = ListQuery(req, defaultPer: 50)
        var filters: [String: String] = [:]
        for field in ["township", "industry", "size"] {
            if let v = req.query[String.self, at: field], !v.isEmpty { filters[field] = v }
        }
        // Counts come from the stored counts by group; only a text search needs a count of its own.
        let groups = try await RegisterCounts.groups(cid, on: req.db)
        func matches(_ g: Group) -> Bool {
            (filters["township"].map { $0 == g.township_code } ?? true) && (filters["industry"].map { $0 == g.industry } ?? true)
                && (filters["size"].map { $0 == g.size } ?? true)
        }
        let snapshot = try await RegisterSnapshot.number(of: cid, on: req.db) ?? -1
        let total: Int
        let items: [Listed]
        if lq.q.isEmpty {
            var query = Enterprise.query(on: req.db).filter(\.$snapshot.$id == snapshot)
            for (field, key) in [("township", \Enterprise.$townshipCode), ("industry", \Enterprise.$industry), ("size", \Enterprise.$size)] {
                if let v = filters[field] { query = query.filter(key == v) }
            }
            total = groups.filter(matches).reduce(0) { $0 + $1.n }
            items = try await query.sort(\.$uscc).offset((lq.page - 1) * lq.per).limit(lq.per).all().map(Listed.init)
        } else {
            (total, items) = try await Self.search(
                lq.q, snapshot: snapshot, filters: filters, offset: (lq.page - 1) * lq.per, limit: lq.per, on: try req.db.sql())
        }
        let metadata = PageMetadata(page: lq.page, per: lq.per, total: total)
        let townships = Dictionary(
            uniqueKeysWithValues: try await Region.query(on: req.db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) })
        let industries = Dictionary(uniqueKeysWithValues: EnterpriseRegister.industries)
        let base = "/campaigns/\(cid)/register"
        func counts(_ field: String, _ key: (Group) -> String?, _ label: (String) -> String) -> [Count] {
            var sums: [String: Int] = [:]
            for g in groups { sums[key(g) ?? "", default: 0] += g.n }
            return sums.map { value, n in
                Count(
                    label: value.isEmpty ? "未填" : label(value), value: n, selected: filters[field] == value,
                    href: value.isEmpty ? nil : base + "?" + Self.queryString(filters.merging([field: value]) { $1 }))
            }
            .sorted { ($0.value, $1.label) > ($1.value, $0.label) }
        }
        return try await req.render(
            "registers/index", title: "企业全量名单",
            Body(
                campaignID: cid.uuidString, campaignName: c.name,
                rows: items.map {
                    Row(
                        uscc: $0.uscc, name: $0.name, township: $0.township_code.flatMap { townships[$0] } ?? "",
                        industry: $0.industry.map { "\($0) \(industries[$0] ?? "")" } ?? "", size: $0.size ?? "", status: $0.status ?? "",
                        founded: $0.founded ?? "")
                },
                pager: Pager(metadata: metadata, basePath: base, extra: filters.merging(["q": lq.q]) { $1 }), q: lq.q,
                total: groups.reduce(0) { $0 + $1.n }, filtered: filters.isEmpty ? nil : base,
                byTownship: counts("township", \.township_code) { townships[$0] ?? $0 },
                byIndustry: counts("industry", \.industry) { "\($0) \(industries[$0] ?? "")" }, bySize: counts("size", \.size) { $0 },
                canManage: req.offers(.manageRegister), canDraw: req.offers(.drawSamples)))
    }

    /// A register row as the list shows it.
    struct Listed: Decodable {
        let uscc: String
        let name: String
        let township_code: String?
        let industry: String?
        let size: String?
        let status: String?
        let founded: String?

        init(_ e: Enterprise) {
            (uscc, name, township_code, industry, size, status, founded) = (e.uscc, e.name, e.townshipCode, e.industry, e.size, e.status, e.founded)
        }
    }

    /// A substring search by name or credit code: the matching count and one page in a single pass over the
    /// snapshot (`COUNT(*) OVER ()`), reading rows in table order on SQLite. The text is matched literally — `%`
    /// and `_` are not wildcards — and a credit code matches in upper case.
    static func search(
        _ q: String, snapshot: Int, filters: [String: String], offset: Int, limit: Int, on sql: any SQLDatabase
    ) async throws -> (Int, [Listed]) {
        let code = q.uppercased()
        var where_: SQLQueryString = sql.engine == .sqlite
            ? "+snapshot_id = \(bind: snapshot) AND (instr(name, \(bind: q)) > 0 OR instr(uscc, \(bind: code)) > 0)"
            : "snapshot_id = \(bind: snapshot) AND (strpos(name, \(bind: q)) > 0 OR strpos(uscc, \(bind: code)) > 0)"
        for (field, column) in [("township", "township_code"), ("industry", "industry"), ("size", "size")] {
            if let v = filters[field] { where_ = where_ + " AND \(ident: column) = \(bind: v)" }
        }
        let rows = try await sql.raw("""
            SELECT uscc, name, township_code, industry, size, status, founded, COUNT(*) OVER () AS total
            FROM enterprises WHERE \(where_) ORDER BY uscc LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all()
        let items = try rows.map { try $0.decode(model: Listed.self, keyDecodingStrategy: .useDefaultKeys) }
        if let first = rows.first { return (try first.decode(column: "total", as: Int.self), items) }
        // Past the last page the window has no row to report on: count on its own.
        if offset == 0 { return (0, []) }
        let counted = try await sql.raw("SELECT COUNT(*) AS n FROM enterprises WHERE \(where_)").first()
        return (try counted?.decode(column: "n", as: Int.self) ?? 0, [])
    }

    struct ImportForm: Content {
        var file: File?
        var skipInvalid: String?
    }

    /// Stores the upload, starts the import in the background and shows its progress page.
    @Sendable func startImport(req: Request) async throws -> Response {
        let c = try await CampaignService.find(req)
        let cid = try c.requireID()
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            req.setFlash("请选择企业名单文件（CSV 或 XLSX）", kind: "error")
            return req.redirect(to: "/campaigns/\(cid)/register")
        }
        let user = try req.currentUser()
        let job = ImportJob(kind: "register", campaignID: cid, by: user.username)
        try await job.create(on: req.db)
        let jobID = try job.requireID()
        let data = Data(buffer: file.data)
        let name = file.filename
        let skip = form.skipInvalid != nil
        let app = req.application
        Task.detached {
            await RegisterJobs.run(app: app, jobID: jobID, campaignID: cid, source: .data(data), filename: name, skipInvalid: skip)
        }
        return req.redirect(to: "/jobs/\(jobID)")
    }

    struct UploadStarted: Content {
        let jobID: UUID
        let url: String
    }

    /// The page's script uploads here (`PUT …/register/upload?name=&skipInvalid=1`): the file streams to a temporary
    /// file, so a million-row register never sits in memory, and the import runs in the background from it.
    @Sendable func startUpload(req: Request) async throws -> UploadStarted {
        let c = try await CampaignService.find(req)
        let cid = try c.requireID()
        let name = req.query[String.self, at: "name"] ?? ""
        guard ["csv", "xlsx"].contains((name as NSString).pathExtension.lowercased()) else {
            throw AppError.invalid(["name": "请选择 CSV 或 XLSX 格式的企业名单文件"])
        }
        let skip = req.query[String.self, at: "skipInvalid"] == "1"
        let path = try await RegisterUploads.receive(req)
        let user = try req.currentUser()
        let job = ImportJob(kind: "register", campaignID: cid, by: user.username)
        job.uploadPath = path
        do {
            try await job.create(on: req.db)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let jobID = try job.requireID()
        let app = req.application
        Task.detached {
            defer { try? FileManager.default.removeItem(atPath: path) }
            await RegisterJobs.run(app: app, jobID: jobID, campaignID: cid, source: .file(path), filename: name, skipInvalid: skip)
        }
        return UploadStarted(jobID: jobID, url: "/jobs/\(jobID)")
    }

    struct JobDTO: Content {
        let id: UUID
        let status: String
        let message: String
        let imported: Int
        let done: Int
        let total: Int
        let problems: [RowProblem]
        let campaignID: UUID
    }

    private func jobDTO(_ req: Request) async throws -> JobDTO {
        let jobID = try req.uuidParameter("jobID")
        // Whoever looks at an abandoned job closes it, on whichever instance they reach.
        _ = try await RegisterUploads.closeAbandonedJobs(on: req.db, only: jobID)
        guard let job = try await ImportJob.find(jobID, on: req.db) else { throw AppError.notFound("导入任务") }
        // An import job is its campaign's register work: the same regions as the register page.
        try await CampaignService.checkScope(campaignID: job.$campaign.id, req)
        let id = try job.requireID()
        // This instance's live figure if the import runs here, else what the running instance last wrote.
        let progress = RegisterImporter.Progress.shared.get(id)
            ?? job.progressDone.map { (done: $0, total: job.progressTotal ?? $0) }.flatMap { job.status == "running" ? $0 : nil }
        return JobDTO(
            id: id, status: job.status, message: job.message, imported: job.imported, done: progress?.done ?? job.imported,
            total: progress?.total ?? job.imported, problems: job.problems, campaignID: job.$campaign.id)
    }

    @Sendable func job(req: Request) async throws -> View {
        try await req.render("registers/job", title: "导入进度", try await jobDTO(req))
    }

    @Sendable func jobJSON(req: Request) async throws -> JobDTO {
        try await jobDTO(req)
    }

    @Sendable func export(req: Request) async throws -> Response {
        let c = try await CampaignService.find(req)
        let cid = try c.requireID()
        guard let sql = req.db as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
        let store = try RegisterStores.on(req.db)
        let snapshot = try await RegisterSnapshot.number(of: cid, on: req.db) ?? -1
        let columns = ["uscc", "name", "township_code", "industry", "size", "status", "founded", "contact", "phone"]
        // The extra columns kept from imports come after the known ones, so an export imports again unchanged.
        let extraKeys = try await Self.extraKeys(snapshot, on: sql)
        // Contact names and phones: in full only for the role that contacts enterprises; the export is audited.
        let role = try req.currentRole()
        let (contactAt, phoneAt) = (columns.firstIndex(of: "contact") ?? 7, columns.firstIndex(of: "phone") ?? 8)
        let mask: @Sendable ([String]) -> [String] = { cells in
            var out = cells
            out[contactAt] = PersonalData.contact(out[contactAt], for: role)
            out[phoneAt] = PersonalData.phone(out[phoneAt], for: role)
            return out
        }
        try await AuditLog.record(
            on: req.db, req: req, actor: try req.currentUser(), action: "export_personal_data", entityType: "register", entityID: cid,
            before: noSnapshot, after: ["what": "企业全量名单（CSV）", "contacts": PersonalData.canSeeContacts(role) ? "完整" : "已脱敏"])
        return Downloads.stream(name: "\(c.name)-企业全量名单.csv", type: "text/csv; charset=utf-8") { writer in
            let header = EnterpriseRegister.Column.allCases.map(\.chineseName) + extraKeys
            try await writer.write(.buffer(ByteBuffer(string: CSVWriter.bom + CSVWriter.line(header))))
            // In credit-code order, read as plain rows (not models): memory stays flat and a million rows take
            // seconds, not minutes (`RegisterStore.export`).
            try await store.export(snapshot: snapshot, columns: columns, extraKeys: extraKeys, mask: mask) { text in
                try await writer.write(.buffer(ByteBuffer(string: text)))
            }
        }
    }

    /// The names of the extra columns anywhere in a snapshot, sorted. On SQLite `+` keeps the planner off the
    /// (snapshot, code) index: a pass in table order takes 0.09 s at a million rows, through the index 2.7 s.
    static func extraKeys(_ snapshot: Int, on sql: any SQLDatabase) async throws -> [String] {
        let query: SQLQueryString = sql.engine == .sqlite
            ? "SELECT DISTINCT j.key AS k FROM enterprises e, json_each(e.extra) j WHERE +e.snapshot_id = \(bind: snapshot) AND e.extra <> '{}' ORDER BY 1"
            : "SELECT DISTINCT jsonb_object_keys(extra::jsonb) AS k FROM enterprises WHERE snapshot_id = \(bind: snapshot) AND extra <> '{}' ORDER BY 1"
        return try await sql.raw(query).all().map { try $0.decode(column: "k", as: String.self) }
    }


    // MARK: Sampling

    /// The sampling form as typed: every field is text, so letters in a number field come back beside that field
    /// in Chinese with the input kept, instead of a whole-page decoding error naming `size`.
    struct DrawForm: Content {
        var size: String?
        var strata: [String]?
        var allocation: String?
        var minPerStratum: String?
        var reserveRatio: String?
        var seed: String?
        var statuses: [String]?
        var foundedBefore: String?
        var excludeDrawn: String?
        var sd: String?
        /// A numeric extra column of the register whose per-stratum spread is offered as S_h.
        var sdColumn: String?
        /// Set by the "由该列计算" button: fill S_h from `sdColumn` before the allocation is computed.
        var fillSD: String?

        /// The parameters and the problems of the fields that are not numbers.
        var parsed: (DrawParameters, [String: String]) {
            var errors: [String: String] = [:]
            func number<T: LosslessStringConvertible>(_ text: String?, _ field: String, _ zh: String, default d: T) -> T {
                let t = (text ?? "").trimmingCharacters(in: .whitespaces)
                if t.isEmpty { return d }
                guard let v = T(t) else {
                    errors[field] = "\(zh)应为数字，“\(t.prefix(20))”不是数字"
                    return d
                }
                return v
            }
            var sds: [String: Double] = [:]
            for (i, line) in (sd ?? "").split(whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, let v = FiledNumber.parse(parts[1]) { sds[parts[0]] = v } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    errors["sd"] = "第 \(i + 1) 行应为“层=标准差”，如“城关街道=12.5”"
                }
            }
            let p = DrawParameters(
                size: number(size, "size", "样本量", default: 0), strata: strata ?? [],
                allocation: StratifiedSampling.Allocation(rawValue: allocation ?? "") ?? .proportional,
                minPerStratum: number(minPerStratum, "minPerStratum", "每层最少样本", default: 0),
                reserveRatio: number(reserveRatio, "reserveRatio", "备选比例", default: 0.0),
                seed: number(seed, "seed", "随机种子", default: UInt64(0)), statuses: statuses ?? [],
                foundedBefore: foundedBefore?.nonBlank, excludeDrawn: excludeDrawn != nil, sd: sds)
            return (p, errors)
        }
    }

    /// What the form shows: the last submission as typed (or the defaults), so nothing is lost after a preview or
    /// an error.
    struct FormView: Encodable {
        let size: String
        let seed: String
        let township: Bool
        let industry: Bool
        let sizeStratum: Bool
        let allocations: [SelectOption]
        let minPerStratum: String
        let reserveRatio: String
        let foundedBefore: String
        let statuses: [SelectOption]
        let excludeDrawn: Bool
        let sd: String
        let sdColumn: String

        init(_ f: DrawForm?, seedSuggestion: UInt64, statuses all: [String]) {
            size = f?.size ?? "100"
            seed = f?.seed ?? String(seedSuggestion)
            let strata = f?.strata ?? ["township"]
            township = strata.contains("township")
            industry = strata.contains("industry")
            sizeStratum = strata.contains("size")
            let chosen = f?.allocation ?? "proportional"
            allocations = [
                ("proportional", "按比例分配（最大余数法）"), ("neyman", "奈曼分配（需各层标准差）"), ("equal", "等量分配"),
            ].map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == chosen) }
            minPerStratum = f?.minPerStratum ?? "0"
            reserveRatio = f?.reserveRatio ?? "0.2"
            foundedBefore = f?.foundedBefore ?? ""
            let statuses = f?.statuses ?? EnterpriseRegister.defaultSamplingStatuses
            self.statuses = all.map { SelectOption(value: $0, label: $0, selected: statuses.contains($0)) }
            excludeDrawn = f?.excludeDrawn != nil
            sd = f?.sd ?? ""
            sdColumn = f?.sdColumn ?? ""
        }
    }

    struct DrawRow: Encodable {
        let id: String
        let drawnBy: String
        let at: String
        let size: Int
        let summary: String
    }

    struct SamplesBody: Encodable {
        let campaignID: String
        let draws: [DrawRow]
        let canDraw: Bool
        let preview: [AllocationRow]
        let form: DrawParameters?
        let errors: [String: String]
        let seedSuggestion: UInt64
        let statuses: [String]
        let view: FormView
        /// S_h from the latest draw with survey answers, as lines the S_h field takes ("城关街道=21.65"), and whence.
        let sdSuggestion: String
        let sdSource: String
        /// The register's extra columns, any of which may serve as a proxy for S_h, and what the last fill did.
        let sdColumns: [SelectOption]
        let sdNote: String
    }

    private func samplesPage(
        _ req: Request, preview: [AllocationRow] = [], form: DrawParameters? = nil, typed: DrawForm? = nil, errors: [String: String] = [:],
        sdNote: String = ""
    ) async throws -> View {
        let c = try await CampaignService.find(req)
        var extraColumns: [String] = []
        if let sql = req.db as? any SQLDatabase, let snapshot = try await RegisterSnapshot.number(of: try c.requireID(), on: req.db) {
            extraColumns = try await Self.extraKeys(snapshot, on: sql)
        }
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).sort(\.$createdAt, .descending).all()
        var sdSuggestion = "", sdSource = ""
        if let template = try await SurveyService.currentTemplate(c, on: req.db).template,
            let previous = try await SurveyEstimates.previousStandardDeviations(campaignID: try c.requireID(), template: template, on: req.db)
        {
            let names = try await Self.townshipNames(on: req.db)
            sdSuggestion = previous.sd.sorted { $0.key < $1.key }.map { "\(Self.label($0.key, names))=\(String(format: "%.2f", $0.value))" }
                .joined(separator: "\n")
            sdSource = "\(DisplayTime.format(previous.draw.createdAt).prefix(10)) 抽样的问卷结果（分层：\(previous.draw.parameters?.strata.joined(separator: "×") ?? "")；"
                + "各层满意度指数的标准差，回答不足 2 家的层未列出）"
        }
        return try await req.render(
            "registers/samples", title: "抽样",
            SamplesBody(
                campaignID: try c.requireID().uuidString,
                draws: draws.map { d in
                    let p = d.parameters
                    return DrawRow(
                        id: d.id?.uuidString ?? "", drawnBy: d.drawnBy, at: DisplayTime.format(d.createdAt), size: p?.size ?? 0,
                        summary: p.map { "分层：\($0.strata.joined(separator: "×"))；\($0.allocation.chineseName)；种子 \($0.seed)" } ?? "")
                },
                canDraw: req.offers(.drawSamples), preview: preview, form: form, errors: errors,
                seedSuggestion: UInt64(req.clock.now().timeIntervalSince1970), statuses: EnterpriseRegister.statuses,
                view: FormView(typed, seedSuggestion: UInt64(req.clock.now().timeIntervalSince1970), statuses: EnterpriseRegister.statuses),
                sdSuggestion: sdSuggestion, sdSource: sdSource,
                sdColumns: extraColumns.map { SelectOption(value: $0, label: $0, selected: $0 == typed?.sdColumn) }, sdNote: sdNote))
    }

    /// Stratum keys hold township codes; people read names.
    static func labeled(_ rows: [AllocationRow], on db: any Database) async throws -> [AllocationRow] {
        let names = try await townshipNames(on: db)
        return rows.map { AllocationRow(stratum: label($0.stratum, names), population: $0.population, sample: $0.sample, reserve: $0.reserve) }
    }

    static func townshipNames(on db: any Database) async throws -> [String: String] {
        Dictionary(
            try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) },
            uniquingKeysWith: { a, _ in a })
    }

    static func label(_ stratum: String, _ names: [String: String]) -> String {
        stratum.split(separator: "|").map { names[String($0)] ?? String($0) }.joined(separator: " × ")
    }

    /// S_h typed with stratum names as the page shows them ("城关街道 × C × 中型") or as keys ("370799001|C|中型"):
    /// both become keys.
    static func resolveStratumNames(_ sd: [String: Double], on db: any Database) async throws -> [String: Double] {
        guard !sd.isEmpty else { return sd }
        let codes = Dictionary(
            try await Region.query(on: db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.name, $0.code) },
            uniquingKeysWith: { a, _ in a })
        var out: [String: Double] = [:]
        for (name, value) in sd {
            let parts = name.split(whereSeparator: { $0 == "×" || $0 == "|" }).map { $0.trimmingCharacters(in: .whitespaces) }
            out[parts.map { codes[$0] ?? $0 }.joined(separator: "|")] = value
        }
        return out
    }

    @Sendable func samples(req: Request) async throws -> View {
        try await samplesPage(req)
    }

    /// Shows the allocation table (N_h, n_h, reserve) before anything is drawn.
    @Sendable func preview(req: Request) async throws -> Response {
        let c = try await CampaignService.find(req)
        var typed = try req.content.decode(DrawForm.self)
        var sdNote = ""
        if typed.fillSD != nil, let column = typed.sdColumn?.nonBlank {
            let (p, _) = typed.parsed
            let proxy = try await SampleService.proxyDeviations(try c.requireID(), p, column: column, on: req.db)
            let strata = try await SampleService.frame(try c.requireID(), p, on: req.db).keys.sorted()
            if let sd = proxy.standardDeviations(for: strata) {
                let names = try await Self.townshipNames(on: req.db)
                typed.sd = sd.sorted { $0.key < $1.key }.map { "\(Self.label($0.key, names))=\(String(format: "%.2f", $0.value))" }
                    .joined(separator: "\n")
                let missing = proxy.missing(from: strata)
                sdNote = "已由名单“\(column)”列计算各层标准差（\(proxy.overall.count) 家企业的数值）"
                    + (missing.isEmpty ? "" : "；\(missing.count) 层数值少于 2 个或全相同，用全部企业的标准差 \(String(format: "%.2f", proxy.overall.sampleStandardDeviation ?? 0))")
                    + (proxy.notNumbers == 0 ? "" : "；\(proxy.notNumbers) 个单元格不是数字，未计入") + "。"
            } else {
                sdNote = "名单“\(column)”列的数值不足以计算标准差（至少需要 2 个不同的数值）。"
            }
        }
        var (p, fieldErrors) = typed.parsed
        p.sd = try await Self.resolveStratumNames(p.sd, on: req.db)
        var errors = fieldErrors.isEmpty ? SampleService.validate(p) : fieldErrors
        var rows: [AllocationRow] = []
        if errors.isEmpty {
            do {
                rows = try SampleService.allocate(try await SampleService.frame(try c.requireID(), p, on: req.db), p)
            } catch let e as AppError { errors = e.fields ?? ["size": e.message] }
        }
        let res = try await samplesPage(req, preview: try await Self.labeled(rows, on: req.db), form: p, typed: typed, errors: errors, sdNote: sdNote)
            .encodeResponse(for: req)
        if !errors.isEmpty { res.status = .unprocessableEntity }
        return res
    }

    @Sendable func draw(req: Request) async throws -> Response {
        let c = try await CampaignService.find(req)
        let typed = try req.content.decode(DrawForm.self)
        var (p, fieldErrors) = typed.parsed
        p.sd = try await Self.resolveStratumNames(p.sd, on: req.db)
        let errors = fieldErrors.isEmpty ? SampleService.validate(p) : fieldErrors
        if !errors.isEmpty {
            let res = try await samplesPage(req, form: p, typed: typed, errors: errors).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        let draw: SampleDraw
        do {
            draw = try await SampleService.draw(try c.requireID(), p, by: req.caller(), clock: req.clock, on: req.db)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let res = try await samplesPage(req, form: p, typed: typed, errors: e.fields ?? [:]).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        req.setFlash("已抽样")
        return req.redirect(to: "/samples/\(try draw.requireID())")
    }

    struct MemberRow: Encodable {
        let id: String
        let uscc: String
        let name: String
        let role: String
        let status: String
        let reason: String
        let active: Bool
    }

    struct StratumGroup: Encodable {
        let stratum: String
        let members: [MemberRow]
    }

    struct RateRow: Encodable {
        let stratum: String
        let issued: Int
        let submitted: Int
        let rate: String
    }

    struct Reminder: Encodable {
        let name: String
        let contact: String
        let phone: String
        let code: String
    }

    struct DrawBody: Encodable {
        let rates: [RateRow]
        let reminders: [Reminder]
        let id: String
        let campaignID: String
        let allocation: [AllocationRow]
        let parameters: String
        let groups: [StratumGroup]
        let canDraw: Bool
        let drawnBy: String
        let at: String
    }

    private func members(_ draw: SampleDraw, on db: any Database) async throws -> [(SampleMember, Enterprise)] {
        let ms = try await SampleMember.query(on: db).filter(\.$draw.$id == (try draw.requireID())).with(\.$enterprise).all()
        let pairs: [(SampleMember, Enterprise)] = ms.map { ($0, $0.enterprise) }
        // By stratum, samples before reserves, then by position.
        return pairs.sorted { a, b in
            if a.0.stratum != b.0.stratum { return a.0.stratum < b.0.stratum }
            if a.0.role != b.0.role { return a.0.role == "sample" }
            return a.0.position < b.0.position
        }
    }

    @Sendable func showDraw(req: Request) async throws -> View {
        let d = try await SampleService.find(req)
        let list = try await members(d, on: req.db)
        let statusNames = ["active": "有效", "unreachable": "联系不上", "refused": "拒绝"]
        var byStratum: [String: [MemberRow]] = [:]
        for (m, e) in list {
            let row = MemberRow(
                id: m.id?.uuidString ?? "", uscc: e.uscc, name: e.name, role: m.role == "sample" ? "样本" : "备选",
                status: statusNames[m.status] ?? m.status, reason: m.reason ?? "", active: m.role == "sample" && m.status == "active")
            byStratum[m.stratum, default: []].append(row)
        }
        let townshipNames = Dictionary(
            uniqueKeysWithValues: try await Region.query(on: req.db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) })
        let groups: [StratumGroup] = byStratum.keys.sorted().map {
            StratumGroup(stratum: Self.label($0, townshipNames), members: byStratum[$0] ?? [])
        }
        let params = d.parameters?.description ?? ""
        let role = try req.currentRole()
        let responses = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id == (try d.requireID())).all()
        let stratumOf = Dictionary(list.map { ($0.0.$enterprise.id, $0.0.stratum) }, uniquingKeysWith: { a, _ in a })
        let enterpriseOf = Dictionary(list.map { ($0.0.$enterprise.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        var perStratum: [String: (Int, Int)] = [:]
        for r in responses {
            let key = stratumOf[r.$enterprise.id] ?? ""
            perStratum[key, default: (0, 0)].0 += 1
            if r.status == "submitted" { perStratum[key, default: (0, 0)].1 += 1 }
        }
        func rate(_ s: Int, _ i: Int) -> String { i == 0 ? "—" : String(format: "%.0f%%", Double(s) / Double(i) * 100) }
        let total = responses.count
        let done = responses.filter { $0.status == "submitted" }.count
        let rates = [RateRow(stratum: "合计", issued: total, submitted: done, rate: rate(done, total))]
            + perStratum.keys.sorted().map { RateRow(stratum: Self.label($0, townshipNames), issued: perStratum[$0]?.0 ?? 0, submitted: perStratum[$0]?.1 ?? 0,
                                                     rate: rate(perStratum[$0]?.1 ?? 0, perStratum[$0]?.0 ?? 0)) }
        let reminders = responses.filter { $0.status != "submitted" }.compactMap { r -> Reminder? in
            guard let e = enterpriseOf[r.$enterprise.id] else { return nil }
            return Reminder(
                name: e.name, contact: PersonalData.contact(e.contact ?? "", for: role), phone: PersonalData.phone(e.phone ?? "", for: role),
                code: r.shortCode)
        }
        return try await req.render(
            "registers/draw", title: "抽样结果",
            DrawBody(
                rates: total == 0 ? [] : rates, reminders: reminders,
                id: try d.requireID().uuidString, campaignID: d.$campaign.id.uuidString,
                allocation: try await Self.labeled(d.allocation, on: req.db), parameters: params,
                groups: groups, canDraw: req.offers(.drawSamples), drawnBy: d.drawnBy,
                at: DisplayTime.format(d.createdAt)))
    }

    @Sendable func exportDraw(req: Request) async throws -> Response {
        let d = try await SampleService.find(req)
        let rows = [["层", "角色", "顺序", "统一社会信用代码", "企业名称", "状态", "原因"]]
            + (try await members(d, on: req.db)).map { m, e in
                [m.stratum, m.role == "sample" ? "样本" : "备选", String(m.position + 1), e.uscc, e.name, m.status, m.reason ?? ""]
            }
        let table = [["层", "企业数 N_h", "样本 n_h", "备选"]] + d.allocation.map { [$0.stratum, String($0.population), String($0.sample), String($0.reserve)] }
        return Downloads.file(CSVWriter.write(table + [[]] + rows), name: "抽样结果.csv", type: "text/csv; charset=utf-8")
    }

    struct ReplaceForm: Content {
        var status: String?
        var reason: String?
    }

    @Sendable func replace(req: Request) async throws -> Response {
        let d = try await SampleService.find(req)
        guard let m = try await SampleMember.find(try req.uuidParameter("memberID"), on: req.db), m.$draw.id == d.id
        else { throw AppError.notFound("样本企业") }
        let form = try req.content.decode(ReplaceForm.self)
        let target = "/samples/\(try d.requireID())"
        do {
            let next = try await SampleService.replace(m, status: form.status.trimmed, reason: form.reason.trimmed, by: req.caller())
            req.setFlash(next == nil ? "已标记；该层备选企业已用完" : "已替换为该层下一家备选企业")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash(([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "："), kind: "error")
        }
        return req.redirect(to: target)
    }
}

/// Runs register imports off the request and records the outcome on the job row.
enum RegisterJobs {
    static func run(
        app: Application, jobID: UUID, campaignID: UUID, source: RegisterImporter.Source, filename: String, skipInvalid: Bool
    ) async {
        let db = app.db
        // Renews the job's lease while it runs; stops with the job.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(JobLease.renewEvery * 1_000_000_000))
                if Task.isCancelled { break }
                _ = try? await db.writeTransaction { tx in
                    try await tx.sql().update(ImportJob.schema).set("lease_until", to: SQLBind(JobLease.expiry(from: Date())))
                        .where("id", .equal, SQLBind(jobID)).where("status", .equal, SQLBind("running")).run()
                }
            }
        }
        // Writes the progress to the job row twice a second, for the other instances' progress pages.
        let progressWriter = Task {
            var last: (Int, Int)? = nil
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 500_000_000)
                guard !Task.isCancelled, let p = RegisterImporter.Progress.shared.get(jobID), last.map({ $0 != (p.done, p.total) }) ?? true else { continue }
                last = (p.done, p.total)
                _ = try? await db.writeTransaction { tx in
                    try await tx.sql().update(ImportJob.schema).set("progress_done", to: SQLBind(p.done)).set("progress_total", to: SQLBind(p.total))
                        .where("id", .equal, SQLBind(jobID)).where("status", .equal, SQLBind("running")).run()
                }
            }
        }
        defer {
            heartbeat.cancel()
            progressWriter.cancel()
        }
        do {
            var actor: User? = nil
            if let job = try await ImportJob.find(jobID, on: db) {
                actor = try await User.query(on: db).filter(\.$username == job.createdBy).first()
            }
            let outcome = try await RegisterImporter.run(
                campaignID: campaignID, source: source, filename: filename, skipInvalid: skipInvalid, db: db, actor: actor,
                progress: { done, total in RegisterImporter.Progress.shared.set(jobID, done: done, total: total) })
            guard let job = try await ImportJob.find(jobID, on: db) else { return }
            job.status = outcome.stored ? "done" : "failed"
            job.imported = outcome.imported
            job.message = outcome.summary
            job.problemsJSON = String(decoding: (try? JSONEncoder().encode(outcome.problems)) ?? Data("[]".utf8), as: UTF8.self)
            try await job.update(on: db)
        } catch {
            if let job = try? await ImportJob.find(jobID, on: db) {
                job.status = "failed"
                job.message = (error as? AppError)?.fields?.values.first ?? "导入失败：\(error)"
                try? await job.update(on: db)
            }
        }
    }
}

/// Register files uploaded by the page's script, streamed to `data/tmp` while their size is checked.
enum RegisterUploads {
    /// At start-up: what a server stopped mid-import left behind. Uploads older than a day are removed and import
    /// jobs still "running" after an hour are marked failed, so their pages stop waiting (a million rows take
    /// seconds; other instances' imports are never that old).
    static func sweep(app: Application, now: Date = Date()) async throws -> (files: Int, jobs: Int) {
        let dir = (app.settings.dataDirectory as NSString).appendingPathComponent("tmp")
        var files = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix("register-") {
            let path = (dir as NSString).appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? now
            if now.timeIntervalSince(modified) > 86_400, (try? FileManager.default.removeItem(atPath: path)) != nil { files += 1 }
        }
        return (files, try await closeAbandonedJobs(on: app.db, now: now))
    }

    /// Closes running jobs whose lease expired (their instance stopped): failed, with what happened and how to
    /// retry, and their uploaded file removed. The update is conditional, so two instances never both close one.
    @discardableResult
    static func closeAbandonedJobs(on db: any Database, now: Date = Date(), only: UUID? = nil) async throws -> Int {
        var query = ImportJob.query(on: db).filter(\.$status == "running")
        if let only { query = query.filter(\.$id == only) }
        var closed = 0
        for job in try await query.all() where JobLease.isAbandoned(leaseUntil: job.leaseUntil, createdAt: job.createdAt, now: now) {
            let id = try job.requireID()
            let legacy = job.leaseUntil == nil
            let rows = try await db.writeTransaction { tx in
                var update = try tx.sql().update(ImportJob.schema).set("status", to: SQLBind("failed"))
                    .set("message", to: SQLBind(JobLease.abandonedMessage)).where("id", .equal, SQLBind(id))
                    .where("status", .equal, SQLBind("running"))
                // Still expired at the moment of the update (a renewal in between keeps the job alive).
                update = legacy
                    ? update.where("lease_until", .is, SQLLiteral.null) : update.where("lease_until", .lessThan, SQLBind(now))
                return try await update.returning("id").all().count
            }
            guard rows > 0 else { continue }
            closed += 1
            if let path = job.uploadPath { try? FileManager.default.removeItem(atPath: path) }
        }
        return closed
    }

    /// Runs `closeAbandonedJobs` every half minute while the server runs, once across all instances.
    static func startJobSweeper(app: Application) -> Task<Void, Never> {
        let logger = app.logger
        return ScheduledWork.every(30, name: "import-job-sweep", app: app) { db, now in
            let n = try await closeAbandonedJobs(on: db, now: now)
            if n > 0 { logger.notice("closed \(n) abandoned import jobs") }
        }
    }

    /// Five times the 126 MB of a synthetic million-row register.
    static let limitBytes = 640 << 20

    static func receive(_ req: Request, limit: Int = limitBytes) async throws -> String {
        let tooLarge = AppError(status: .payloadTooLarge, code: "too_large", message: "文件超过 \(limit >> 20) MB，请拆分后导入")
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > limit { throw tooLarge }
        let dir = (req.application.settings.dataDirectory as NSString).appendingPathComponent("tmp")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/register-\(UUID().uuidString)"
        let io = req.application.fileio
        let handle = try await io.openFile(path: path, mode: .write, flags: .allowFileCreation(posixMode: 0o600), eventLoop: req.eventLoop).get()
        var size = 0
        do {
            for try await chunk in req.body {
                size += chunk.readableBytes
                if size > limit { throw tooLarge }
                try await io.write(fileHandle: handle, buffer: chunk, eventLoop: req.eventLoop).get()
            }
            try handle.close()
            if size == 0 { throw AppError.invalid(["file": "文件为空"]) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return path
    }
}


