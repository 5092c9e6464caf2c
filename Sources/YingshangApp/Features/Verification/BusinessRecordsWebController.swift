import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/records`: business records per indicator — import, actual values, the seeded case sample and its
/// review — and the verified value the assessor chooses.
struct BusinessRecordsWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "records", action: .viewRegister, use: records)
        // A department's file of tens of thousands of cases is checked and stored: on the CPU threads.
        g.post("campaigns", ":id", "records", "import", action: .manageVerification, maxBody: 50 << 20, use: CPUWork.whole(importRecords))
        g.get("campaigns", ":id", "records", "demo.csv", action: .manageVerification, use: demoCSV)
        g.post("campaigns", ":id", "records", ":recordID", "review", action: .manageVerification, use: review)
        g.post("campaigns", ":id", "verified-values", action: .manageVerification, use: chooseValue)
    }

    struct ObservedRow: Encodable {
        let subCode: String
        let name: String
        let unit: String
        let filed: String
        let observed: String
        let cases: Int
        let aggregation: String
        let differs: Bool
        let verified: String
    }

    struct CaseRow: Encodable {
        let id: String
        let caseID: String
        let uscc: String
        let applied: String
        let completed: String
        let workdays: String
        let counts: String
        let fee: String
        let review: String
        let reviewed: Bool
        let ok: Bool
    }

    struct RecordsBody: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let regionName: String
        let indicator: String
        let indicatorName: String
        let tabs: [SelectOption]
        let total: Int
        let observed: [ObservedRow]
        let sample: [CaseRow]
        let seed: String
        let size: String
        let canManage: Bool
        let errors: [String]
        let columns: String
    }

    private func recordsPage(_ req: Request, errors: [String] = []) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let rid = try region.requireID()
        let indicator = req.query[String.self, at: "indicator"] ?? RecordSchema.all[0].indicatorCode
        let schema = try VerificationService.schema(indicator)
        let catalog = try await c.catalog(on: req.db)
        guard let spec = catalog.indicator(indicator) else {
            throw AppError.notFound("指标")
        }
        let recs = try await VerificationService.records(cid, rid, indicator, on: req.db)
        let observed = try await VerificationService.observed(recs, indicator: indicator, on: req.db)
        let filing = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$indicatorCode == indicator).first()
        let verified = try await VerifiedValue.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$indicatorCode == indicator).all()
        let rows = schema.measures.compactMap { m -> ObservedRow? in
            guard let sub = spec.subIndicators.first(where: { $0.code == m.subCode }) else { return nil }
            let o = observed.first { $0.subCode == m.subCode }
            let filed = filing.flatMap { VerificationService.filedNumber($0.answers, spec: spec, sub: m.subCode) }
            let differs = filed.flatMap { f in o.map { !Tolerance.default(unit: sub.unit).allows(filed: f, observed: $0.value) } } ?? false
            let v = verified.first { $0.subCode == m.subCode }
            return ObservedRow(
                subCode: m.subCode, name: sub.nameZh, unit: sub.unit ?? "", filed: filed.map(CrossChecks.fmt) ?? "未填报",
                observed: o.map { CrossChecks.fmt(($0.value * 100).rounded() / 100) } ?? "—", cases: o?.cases ?? 0, aggregation: m.aggregation.chineseName,
                differs: differs, verified: v.map { "\($0.value)（\(ValueSource(rawValue: $0.source)?.chineseName ?? $0.source)：\($0.reason)）" } ?? "")
        }
        let seedText = req.query[String.self, at: "seed"] ?? ""
        let size = min(100, max(1, req.query[Int.self, at: "size"] ?? 10))
        let calendar = try await CalendarDay.workCalendar(on: req.db)
        var sample: [CaseRow] = []
        if let seed = UInt64(seedText) {
            sample = try VerificationService.sample(recs, size: size, seed: seed).map { r in
                let cr = r.caseRecord
                return CaseRow(
                    id: r.id?.uuidString ?? "", caseID: r.caseID, uscc: r.uscc, applied: r.appliedOn, completed: r.completedOn,
                    workdays: try cr.map { CrossChecks.fmt(try $0.workdays(calendar)) } ?? "—",
                    counts: (cr?.counts ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key == "steps" ? "环节" : "材料") \($0.value)" }.joined(separator: "，"),
                    fee: Display.yuan(fen: r.feeFen), review: r.review ?? "", reviewed: r.reviewOK != nil, ok: r.reviewOK ?? false)
            }
        }
        let names = Dictionary(catalog.indicators.map { ($0.code, $0.nameZh) }, uniquingKeysWith: { a, _ in a })
        return try await req.render(
            "verification/records", title: "业务数据核验",
            RecordsBody(
                campaignID: cid.uuidString, campaignName: c.name, regionID: rid.uuidString, regionName: region.name, indicator: indicator,
                indicatorName: spec.nameZh,
                tabs: RecordSchema.all.map { SelectOption(value: $0.indicatorCode, label: names[$0.indicatorCode] ?? $0.nameZh, selected: $0.indicatorCode == indicator) },
                total: recs.count, observed: rows, sample: sample, seed: seedText, size: String(size),
                canManage: Permissions.allows(try req.currentRole(), .manageVerification), errors: errors,
                columns: "办件编号、统一社会信用代码、申请日期、办结日期（必需），" + schema.countColumns.map(\.zh).joined(separator: "、") + "、费用（元）"))
    }

    @Sendable func records(req: Request) async throws -> View { try await recordsPage(req) }

    struct ImportForm: Content {
        var file: File?
    }

    @Sendable func importRecords(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        let back = try c.url(.records, query: ["region": (try region.requireID()).uuidString, "indicator": indicator])
        guard let file = try req.content.decode(ImportForm.self).file, file.data.readableBytes > 0 else {
            req.setFlash("请选择业务数据文件（CSV 或 XLSX）", kind: "error")
            return req.redirect(to: back)
        }
        do {
            let n = try await VerificationService.importRecords(
                c, regionID: try region.requireID(), indicator: indicator, data: Data(buffer: file.data), filename: file.filename, by: req.caller())
            req.setFlash("已导入 \(n) 条办件记录（替换该指标原有记录）")
            return req.redirect(to: back)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let list = [e.message] + (e.fields ?? [:]).sorted { $0.key.count == $1.key.count ? $0.key < $1.key : $0.key.count < $1.key.count }.map(\.value)
            let res = try await recordsPage(req, errors: list).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
    }

    /// Demo data to try the import with: cases around the filed values; 开办企业 time is planted as understated.
    @Sendable func demoCSV(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        _ = try VerificationService.schema(indicator)
        let catalog = try await c.catalog(on: req.db)
        guard let spec = catalog.indicator(indicator) else {
            throw AppError.notFound("指标")
        }
        let filing = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == (try region.requireID()))
            .filter(\.$indicatorCode == indicator).first()
        var filed: [String: Double] = [:]
        for sub in spec.subIndicators { filed[sub.code] = filing.flatMap { VerificationService.filedNumber($0.answers, spec: spec, sub: sub.code) } }
        let csv = try DemoRecords.csv(
            indicator: indicator, filed: filed, inflate: indicator == "starting_business" ? ["time"] : [], seed: 2022,
            calendar: try await CalendarDay.workCalendar(on: req.db))
        return Downloads.file(Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array(csv.utf8)), name: "演示业务数据-\(spec.nameZh).csv", type: "text/csv; charset=utf-8")
    }

    struct ReviewForm: Content {
        var ok: String?
        var note: String?
        var back: String?
    }

    @Sendable func review(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let r = try await BusinessRecord.find(try req.uuidParameter("recordID"), on: req.db), r.$campaign.id == c.id else {
            throw AppError.notFound("办件记录")
        }
        let f = try req.content.decode(ReviewForm.self)
        do {
            try await VerificationService.review(r, ok: f.ok == "1", note: f.note ?? "", by: req.caller())
            req.setFlash("已记录办件 \(r.caseID) 的核查结果")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        let fallback = try c.url(.records)
        // Only a path inside the app, never another host.
        let back = f.back.flatMap { $0.hasPrefix("/campaigns/") && !$0.contains("//") ? $0 : nil } ?? fallback
        return req.redirect(to: back)
    }

    struct ChooseForm: Content {
        var regionID: String?
        var indicator: String?
        var sub: String?
        var choice: String?
        var value: String?
        var reason: String?
    }

    @Sendable func chooseValue(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let f = try req.content.decode(ChooseForm.self)
        let cid = try c.requireID()
        guard let rid = f.regionID.flatMap(UUID.init(uuidString:)),
            try await CampaignRegion.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).count() == 1
        else { throw AppError.invalid(["regionID": "被评价地区不在本次评价中"]) }
        do {
            try await VerificationService.chooseValue(
                c, regionID: rid, indicator: f.indicator.trimmed, sub: f.sub.trimmed, choice: f.choice, value: f.value, reason: f.reason, by: req.caller())
            req.setFlash("已确定核验值；重新评分后生效")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        return req.redirect(to: try c.url(.records, query: ["region": rid.uuidString, "indicator": f.indicator.trimmed]))
    }
}
