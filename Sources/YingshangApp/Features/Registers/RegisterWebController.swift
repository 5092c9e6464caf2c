import Fluent
import SQLKit
import SQLiteNIO
import PostgresKit
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/register`: browse, import (a background job with progress) and export the enterprise register.
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
    }

    @Sendable func index(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
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
        let items: [RegisterQueries.Listed]
        if lq.q.isEmpty {
            total = groups.filter(matches).reduce(0) { $0 + $1.n }
            items = try await RegisterQueries.page(snapshot: snapshot, filters: filters, offset: (lq.page - 1) * lq.per, limit: lq.per, on: req.db)
        } else {
            (total, items) = try await RegisterQueries.search(
                lq.q, snapshot: snapshot, filters: filters, offset: (lq.page - 1) * lq.per, limit: lq.per, on: req.db)
        }
        let metadata = PageMetadata(page: lq.page, per: lq.per, total: total)
        let townships = Dictionary(
            uniqueKeysWithValues: try await Region.query(on: req.db).filter(\.$level == RegionLevel.township.rawValue).all().map { ($0.code, $0.name) })
        let industries = Dictionary(uniqueKeysWithValues: EnterpriseRegister.industries)
        let base = SiteURL.campaign(cid, .register)
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

    struct ImportForm: Content {
        var file: File?
        var skipInvalid: String?
    }

    /// Stores the upload, starts the import in the background and shows its progress page.
    @Sendable func startImport(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            req.setFlash("请选择企业名单文件（CSV 或 XLSX）", kind: "error")
            return req.redirect(to: SiteURL.campaign(cid, .register))
        }
        let user = try req.currentUser()
        let job = ImportJob(kind: "register", campaignID: cid, by: user.username)
        try await job.create(on: req.db)
        let jobID = try job.requireID()
        let data = Data(buffer: file.data)
        let name = file.filename
        let skip = form.skipInvalid != nil
        let app = req.application
        // A stop waits for the import as for a request (Runner.serve), so it is not cut off half-way.
        app.inFlight.hold()
        Task.detached {
            defer { app.inFlight.leave() }
            await RegisterJobs.run(app: app, jobID: jobID, campaignID: cid, source: .data(data), filename: name, skipInvalid: skip)
        }
        return req.redirect(to: SiteURL.job(jobID))
    }

    struct UploadStarted: Content {
        let jobID: UUID
        let url: String
    }

    /// The page's script uploads here (`PUT …/register/upload?name=&skipInvalid=1`): the file streams to a temporary
    /// file, so a million-row register never sits in memory, and the import runs in the background from it.
    @Sendable func startUpload(req: Request) async throws -> UploadStarted {
        let c = try await req.loadCampaign()
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
        app.inFlight.hold()
        Task.detached {
            defer {
                try? FileManager.default.removeItem(atPath: path)
                app.inFlight.leave()
            }
            await RegisterJobs.run(app: app, jobID: jobID, campaignID: cid, source: .file(path), filename: name, skipInvalid: skip)
        }
        return UploadStarted(jobID: jobID, url: SiteURL.job(jobID))
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
        try await req.checkCampaignScope(campaignID: job.$campaign.id)
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
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let store = try RegisterStores.on(req.db)
        let snapshot = try await RegisterSnapshot.number(of: cid, on: req.db) ?? -1
        let columns = ["uscc", "name", "township_code", "industry", "size", "status", "founded", "contact", "phone"]
        // The extra columns kept from imports come after the known ones, so an export imports again unchanged.
        let extraKeys = try await RegisterQueries.extraKeys(snapshot, on: req.db)
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
        return Downloads.stream(name: "\(c.name)-企业全量名单.csv", type: "text/csv; charset=utf-8", inFlight: req.application.inFlight) { writer in
            let header = EnterpriseRegister.Column.allCases.map(\.chineseName) + extraKeys
            try await writer.write(.buffer(ByteBuffer(string: CSVWriter.bom + CSVWriter.line(header))))
            // In credit-code order, read as plain rows (not models): memory stays flat and a million rows take
            // seconds, not minutes (`RegisterStore.export`).
            try await store.export(snapshot: snapshot, columns: columns, extraKeys: extraKeys, mask: mask) { text in
                try await writer.write(.buffer(ByteBuffer(string: text)))
            }
        }
    }
}
