import Fluent
import SQLKit
import Vapor
import YingshangCore
import YingshangOffice
import ZIPFoundation

/// Bulk work on a campaign's filings: XLSX export (one sheet per indicator, also the import template), XLSX import
/// of answers (all-or-nothing, errors by sheet/row/column) and all evidence as a ZIP with a manifest.
struct FilingBulkController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "filings.xlsx", action: .viewFilings, use: export)
        g.post("campaigns", ":id", "filings", "import", action: .editFilings, maxBody: 10 << 20, use: importAnswers)
        g.get("campaigns", ":id", "evidence.zip", action: .viewFilings, use: evidenceZip)
    }

    /// The filings of the campaign region the user may see: unit users their own unit's.
    private func visibleFilings(_ req: Request, _ c: Campaign, regionID: UUID) async throws -> [Filing] {
        guard req.resolvedRegionScope.covers(regionID.uuidString) else { throw AppError.notFound("被评价地区") }
        var q = Filing.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).filter(\.$region.$id == regionID)
        if try req.currentRole().isUnitScoped { q = q.filter(\.$leadUnit.$id == (try req.currentUser().$unit.id)) }
        return try await q.all()
    }

    @Sendable func export(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        let catalog = try await c.catalog(on: req.db)
        let filings = Dictionary(uniqueKeysWithValues: try await visibleFilings(req, c, regionID: try region.requireID()).map { ($0.indicatorCode, $0) })
        let user = try req.currentUser()
        let role = try req.currentRole()
        var leads: [String: UUID?] = [:]
        for a in try await Assignment.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).filter(\.$region.$id == (try region.requireID())).all() {
            leads[a.indicatorCode] = a.$leadUnit.id
        }
        var entries: [FilingWorkbook.Entry] = []
        for ci in d.indicators {
            guard let ind = catalog.indicator(ci.code) else { continue }
            // Unit users get their lead indicators, filed or not, so the file is their template.
            if role.isUnitScoped && (leads[ci.code] ?? nil) != user.$unit.id { continue }
            let f = filings[ci.code]
            var counts: [String: Int] = [:]
            if let f { for a in try await FilingService.attachments(f, on: req.db) { counts[a.itemCode ?? "*", default: 0] += 1 } }
            entries.append(.init(
                indicator: ind, answers: f?.answers ?? [:], state: f?.filingState.chineseName ?? "未开始", version: f?.version ?? 0,
                attachments: counts))
        }
        return try await Downloads.workbook(FilingWorkbook.sheets(entries), name: "\(c.name)-\(region.name)-填报数据.xlsx", req: req)
    }

    struct ImportForm: Content {
        var file: File?
    }

    struct ImportResult: Encodable {
        let campaignID: String
        let problems: [String]
        let saved: [String]
    }

    /// Saves the answers of every sheet, or none: checked for permission, state, version and every cell first.
    @Sendable func importAnswers(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        let catalog = try await c.catalog(on: req.db)
        var indicators: [String: IndicatorSpec] = [:]
        for ci in d.indicators { indicators[ci.code] = catalog.indicator(ci.code) }
        func fail(_ problems: [String]) async throws -> Response {
            let res = try await req.render(
                "filings/import", title: "导入填报", ImportResult(campaignID: cid.uuidString, problems: problems, saved: []))
                .encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        guard let file = try req.content.decode(ImportForm.self).file, file.data.readableBytes > 0 else {
            return try await fail(["请选择导出的填报 XLSX 文件"])
        }
        let sheets: [Sheet]
        let data = Data(buffer: file.data)
        do { sheets = try await req.offload { try XLSX.read(data) } } catch let e as XLSX.ReadError { return try await fail([e.description]) }
        var (parsed, problems) = FilingWorkbook.parse(sheets, indicators: indicators)
        var targets: [(Filing, FilingWorkbook.Parsed)] = []
        for p in parsed {
            let f = try await FilingService.open(campaign: c, regionID: try region.requireID(), indicatorCode: p.indicatorCode, by: req.caller())
            do {
                try FilingService.requireEdit(f, by: req.caller())
            } catch let e as AppError {
                problems.append("工作表“\(p.indicatorCode)”：\(e.message)")
                continue
            }
            // Version 0 is a template exported before the filing existed: fine only while nothing is filed.
            if (p.version == 0 && !f.answers.isEmpty) || (p.version != 0 && p.version != f.version) {
                problems.append("工作表“\(p.indicatorCode)”第 2 行 D 列：文件是第 \(p.version) 版，系统中已是第 \(f.version) 版，请重新导出后填写")
                continue
            }
            targets.append((f, p))
        }
        parsed = []
        if !problems.isEmpty { return try await fail(problems) }
        let work = targets.map { (id: $0.0.id, version: $0.0.version, previous: $0.0.answers.count, answers: $0.1.answers, code: $0.1.indicatorCode) }
        let caller = try req.caller()
        do {
            try await req.db.writeTransaction { db in
                for w in work {
                    guard let id = w.id else { continue }
                    try await FilingService.writeAnswers(
                        id: id, expectedVersion: w.version, answers: w.answers, previousCount: w.previous, action: "import",
                        by: caller.on(db))
                }
            }
        } catch let e as AppError where e.code == "version_conflict" {
            return try await fail(["导入期间有人修改了填报，未做任何修改，请重新导出后再导入"])
        }
        return try await req.render(
            "filings/import", title: "导入填报",
            ImportResult(campaignID: cid.uuidString, problems: [], saved: work.map(\.code))
        ).encodeResponse(for: req)
    }

    /// All evidence of the visible filings, as `indicator/item-name` entries plus `manifest.csv`.
    @Sendable func evidenceZip(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        let filings = try await visibleFilings(req, c, regionID: try region.requireID())
        let names = Dictionary(uniqueKeysWithValues: d.indicators.map { ($0.code, $0.name) })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yingshang-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let zipURL = dir.appendingPathComponent("evidence.zip")
        let config = req.application.settings
        let manifest = [["指标代码", "指标", "题目", "文件名", "ZIP 内路径", "SHA-256", "大小（字节）", "上传人", "上传时间"]]
        /// What the archive needs of an attachment, copied out of the model before the work leaves this task.
        struct Entry: Sendable {
            let code, name, sha256, uploadedBy, uploadedAt: String
            let itemCode: String?
            let size: Int
        }
        var attachments: [Entry] = []
        for f in filings {
            for a in try await FilingService.attachments(f, on: req.db) {
                attachments.append(Entry(
                    code: f.indicatorCode, name: a.name, sha256: a.sha256, uploadedBy: a.uploadedBy,
                    uploadedAt: DisplayTime.format(a.createdAt), itemCode: a.itemCode, size: a.size))
            }
        }
        do {
            // Deflating every file takes as long as the evidence is large: on the CPU threads, not an event loop.
            try await req.offload { [manifest, attachments] in
                var manifest = manifest
                let archive = try Archive(url: zipURL, accessMode: .create)
                var used = Set<String>()
                for a in attachments {
                    let item = a.itemCode ?? "通用"
                    var path = "\(a.code)/\(item)-\(a.name)"
                    var n = 2
                    while used.contains(path) { path = "\(a.code)/\(item)-\(n)-\(a.name)"; n += 1 }
                    used.insert(path)
                    let source = URL(fileURLWithPath: EvidenceStore.path(for: a.sha256, config: config))
                    let handle = try FileHandle(forReadingFrom: source)
                    defer { try? handle.close() }
                    try archive.addEntry(
                        with: path, type: .file, uncompressedSize: Int64(a.size), compressionMethod: .deflate,
                        provider: { position, size in
                            try handle.seek(toOffset: UInt64(position))
                            return try handle.read(upToCount: size) ?? Data()
                        })
                    manifest.append([
                        a.code, names[a.code] ?? a.code, a.itemCode ?? "", a.name, path, a.sha256, String(a.size), a.uploadedBy, a.uploadedAt,
                    ])
                }
                let csv = CSVWriter.write(manifest)
                try archive.addEntry(
                    with: "manifest.csv", type: .file, uncompressedSize: Int64(csv.count), compressionMethod: .deflate,
                    provider: { position, size in csv.subdata(in: Int(position)..<Int(position) + size) })
            }
        } catch {
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        let res = try await req.fileio.asyncStreamFile(at: zipURL.path) { _ in
            try? FileManager.default.removeItem(at: dir)
        }
        res.headers.replaceOrAdd(name: .contentType, value: "application/zip")
        let encoded = "\(c.name)-印证资料.zip".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "evidence.zip"
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename*=UTF-8''\(encoded)")
        return res
    }
}
