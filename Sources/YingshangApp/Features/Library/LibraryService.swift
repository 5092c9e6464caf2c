import Fluent
import Vapor
import YingshangCore

struct PracticeInput: Content {
    var title: String?
    var indicatorCode: String?
    var regionName: String?
    var description: String?
    var measures: String?
    var results: String?
    var tags: String?
}

struct PolicyInput: Content {
    var title: String?
    var docNumber: String?
    var issuingBody: String?
    var issuedOn: String?
    var indicators: [String]?
    var fullText: String?
}

/// Best practices and policies: validation, curation, publication and replication follow-ups, all audited.
enum LibraryService {
    static func field(_ v: String?, _ key: String, _ label: String, required: Bool, max: Int, _ errors: inout [String: String]) -> String {
        let t = v.trimmed
        if required && t.isEmpty { errors[key] = "请填写\(label)" } else if t.count > max { errors[key] = "\(label)不超过 \(max) 字" }
        return t
    }


    static func createPractice(_ input: PracticeInput, by caller: Caller) async throws -> BestPractice {
        var errors: [String: String] = [:]
        let p = BestPractice()
        p.title = field(input.title, "title", "标题", required: true, max: 200, &errors)
        p.regionName = field(input.regionName, "regionName", "地区", required: true, max: 50, &errors)
        p.description = field(input.description, "description", "做法概述", required: true, max: 5000, &errors)
        p.measures = field(input.measures, "measures", "主要措施", required: true, max: 5000, &errors)
        p.results = field(input.results, "results", "取得成效", required: false, max: 5000, &errors)
        let tags = input.tags.trimmed.split(whereSeparator: { ",，、 ".contains($0) }).map(String.init).filter { !$0.isEmpty }
        if tags.count > 10 || tags.contains(where: { $0.count > 20 }) { errors["tags"] = "最多 10 个标签，每个不超过 20 字" }
        p.tags = tags.joined(separator: ",")
        if let code = input.indicatorCode?.nonBlank {
            if NationalCatalog.namesByCode[code] == nil { errors["indicatorCode"] = "未知指标" }
            p.indicatorCode = code
        }
        if !errors.isEmpty { throw AppError.invalid(errors) }
        let user = caller.user
        p.status = BestPractice.Status.submitted.rawValue
        p.published = false
        p.replicate = false
        p.$unit.id = user.$unit.id
        p.submittedBy = user.username
        try await caller.db.writeTransaction { db in
            try await p.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "best_practice", entityID: p.id, before: noSnapshot,
                after: ["title": p.title])
        }
        return p
    }

    /// The bureau curates: 收录 / 不收录, and publishes curated items on the public page.
    static func curate(_ p: BestPractice, status raw: String?, published: Bool, by caller: Caller) async throws {
        guard let status = BestPractice.Status(rawValue: raw.trimmed) else { throw AppError.invalid(["status": "请选择审核结果"]) }
        if published && status != .curated { throw AppError.invalid(["published": "只有已收录的经验可以公开"]) }
        let before = ["status": p.status, "published": String(p.published)]
        p.status = status.rawValue
        p.published = published
        try await caller.db.writeTransaction { db in
            try await p.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "curate", entityType: "best_practice", entityID: p.id, before: before,
                after: ["status": p.status, "published": String(p.published)])
        }
        caller.pageCaches.publicIndex.removeAll()
    }

    /// Marks a curated practice for replication and opens a follow-up task for a unit in a campaign's report phase.
    static func replicate(_ p: BestPractice, campaignID: String?, unitID: String?, deadline: String?, by caller: Caller) async throws -> CampaignTask {
        var errors: [String: String] = [:]
        if p.practiceStatus != .curated { errors["status"] = "请先收录该经验再推广复制" }
        let campaign = try await campaignID?.nonBlank.flatMap(UUID.init(uuidString:)).asyncMap { try await Campaign.find($0, on: caller.db) } ?? nil
        if campaign == nil { errors["campaignID"] = "请选择评价任务" }
        let unit = try await unitID?.nonBlank.flatMap(UUID.init(uuidString:)).asyncMap { try await Unit.find($0, on: caller.db) } ?? nil
        if unit == nil { errors["unitID"] = "请选择负责推广的单位" }
        let day = Day(deadline.trimmed)
        if day == nil { errors["deadline"] = "完成时限格式应为 YYYY-MM-DD" }
        guard errors.isEmpty, let campaign, let unit, let day else { throw AppError.invalid(errors) }
        let task = CampaignTask(
            campaignID: try campaign.requireID(), phase: .report, regionID: nil, indicatorCode: p.indicatorCode,
            title: "推广复制：\(p.title)".prefix(200).description, unitID: try unit.requireID(), deadline: day,
            note: "来自经验库：\(p.regionName)")
        try await caller.db.writeTransaction { db in
            try await task.create(on: db)
            p.replicate = true
            p.$followUpTask.id = task.id
            try await p.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "replicate", entityType: "best_practice", entityID: p.id, before: noSnapshot,
                after: ["task": task.id?.uuidString ?? "", "unit": unit.name, "deadline": day.description])
        }
        caller.pageCaches.publicIndex.removeAll()
        return task
    }

    static func createPolicy(_ input: PolicyInput, by caller: Caller) async throws -> Policy {
        var errors: [String: String] = [:]
        let p = Policy()
        p.title = field(input.title, "title", "政策名称", required: true, max: 200, &errors)
        p.docNumber = field(input.docNumber, "docNumber", "文号", required: true, max: 60, &errors)
        p.issuingBody = field(input.issuingBody, "issuingBody", "发文机关", required: true, max: 100, &errors)
        p.fullText = field(input.fullText, "fullText", "政策全文", required: false, max: 100_000, &errors)
        if let d = Day(input.issuedOn.trimmed) {
            if d > caller.clock.today { errors["issuedOn"] = "印发日期不能晚于今天" }
            p.issuedOn = d.description
        } else {
            errors["issuedOn"] = "印发日期格式应为 YYYY-MM-DD"
        }
        let codes = (input.indicators ?? []).filter { !$0.isEmpty }
        if let bad = codes.first(where: { NationalCatalog.namesByCode[$0] == nil }) { errors["indicators"] = "未知指标 \(bad)" }
        p.indicators = codes.joined(separator: ",")
        if !errors.isEmpty { throw AppError.invalid(errors) }
        let user = caller.user
        p.published = false
        p.createdBy = user.username
        try await caller.db.writeTransaction { db in
            try await p.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "policy", entityID: p.id, before: noSnapshot,
                after: ["title": p.title, "docNumber": p.docNumber])
        }
        return p
    }

    static func setPublished(_ p: Policy, _ published: Bool, by caller: Caller) async throws {
        let before = p.published
        p.published = published
        p.publishedAt = published ? caller.clock.now() : nil
        try await caller.db.writeTransaction { db in
            try await p.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: published ? "publish" : "unpublish", entityType: "policy",
                entityID: p.id, before: ["published": before], after: ["published": published])
        }
        caller.pageCaches.publicIndex.removeAll()
    }
}

extension Optional {
    func asyncMap<U>(_ f: (Wrapped) async throws -> U) async rethrows -> U? {
        switch self {
        case .some(let w): return try await f(w)
        case .none: return nil
        }
    }
}
