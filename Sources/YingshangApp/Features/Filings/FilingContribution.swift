import Fluent
import Vapor
import YingshangCore

/// A cooperating unit's part of a filing: the items the lead unit assigned to it, answered by the cooperating unit
/// and merged into the filing by the lead unit.
final class FilingContribution: Model, @unchecked Sendable {
    static let schema = "filing_contributions"

    enum State: String, Codable {
        case draft, submitted, merged

        var chineseName: String {
            switch self {
            case .draft: return "填写中"
            case .submitted: return "已提交牵头单位"
            case .merged: return "已合并"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "filing_id") var filing: Filing
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "items") var itemsJSON: String
    @Field(key: "answers") var answersJSON: String
    @Field(key: "state") var state: String
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(filingID: UUID, unitID: UUID, items: [String], by: String) {
        self.$filing.id = filingID
        self.$unit.id = unitID
        self.itemsJSON = Self.encode(items.sorted())
        self.answersJSON = "{}"
        self.state = State.draft.rawValue
        self.updatedBy = by
    }

    var items: [String] {
        get { (try? JSONDecoder().decode([String].self, from: Data(itemsJSON.utf8))) ?? [] }
        set { itemsJSON = Self.encode(newValue.sorted()) }
    }

    var answers: [String: String] {
        get { (try? JSONDecoder().decode([String: String].self, from: Data(answersJSON.utf8))) ?? [:] }
        set { answersJSON = Self.encode(newValue) }
    }

    var contributionState: State { State(rawValue: state) ?? .draft }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

struct CreateFilingContribution: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(FilingContribution.schema)
            .id()
            .field("filing_id", .uuid, .required, .references(Filing.schema, "id", onDelete: .cascade))
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("items", .string, .required)
            .field("answers", .string, .required)
            .field("state", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "filing_id", "unit_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(FilingContribution.schema).delete()
    }
}

/// Assigning items to cooperating units, their answers, and the lead unit's merge.
enum ContributionService {
    static func cooperatingUnits(_ f: Filing, on db: any Database) async throws -> [UUID] {
        try await Assignment.query(on: db).filter(\.$campaign.$id == f.$campaign.id).filter(\.$region.$id == f.$region.id)
            .filter(\.$indicatorCode == f.indicatorCode).with(\.$cooperators).first()?.cooperators.map { $0.$unit.id } ?? []
    }

    /// The lead unit assigns items to a cooperating unit (an empty list removes the assignment).
    static func assign(_ f: Filing, unitID: UUID, items: [String], by caller: Caller) async throws {
        try FilingService.requireEdit(f, by: caller)
        guard try await cooperatingUnits(f, on: caller.db).contains(unitID) else {
            throw AppError.invalid(["unitID": "该单位不是本指标的配合单位"])
        }
        let ind = try await FilingService.indicator(f, on: caller.db)
        let known = Set(ind.questionnaire.map(\.code))
        let unknown = items.filter { !known.contains($0) }
        if !unknown.isEmpty { throw AppError.invalid(["items": "问卷中没有题目：" + unknown.joined(separator: "、")]) }
        let fid = try f.requireID()
        let user = caller.user
        try await caller.db.writeTransaction { db in
            let existing = try await FilingContribution.query(on: db).filter(\.$filing.$id == fid).filter(\.$unit.$id == unitID).first()
            if items.isEmpty {
                try await existing?.delete(on: db)
            } else if let existing {
                existing.items = items
                existing.answers = existing.answers.filter { items.contains($0.key) }
                try await existing.update(on: db)
            } else {
                try await FilingContribution(filingID: fid, unitID: unitID, items: items, by: user.username).create(on: db)
                try await InAppNotification.notifyUnit(
                    unitID, roles: [Role.filer.rawValue, Role.unitHead.rawValue],
                    message: "牵头单位请您填报“\(ind.nameZh)”的 \(items.count) 道题目", link: SiteURL.filing(fid), at: caller.clock.now(), on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "assign_items", entityType: "filing", entityID: fid, before: noSnapshot,
                after: ["unit": unitID.uuidString, "items": items.joined(separator: ",")])
        }
    }

    /// The cooperating unit's own contribution, or 403.
    static func own(_ f: Filing, by caller: Caller) async throws -> FilingContribution {
        let user = caller.user
        let role = caller.role
        guard role == .filer || role == .unitHead,
            let c = try await FilingContribution.query(on: caller.db).filter(\.$filing.$id == (try f.requireID()))
                .filter(\.$unit.$id == user.$unit.id).first()
        else { throw AppError.forbidden("本单位没有被分配该指标的题目") }
        return c
    }

    /// Saves (and optionally submits) the cooperating unit's answers to its own items only.
    static func save(_ f: Filing, answers: [String: String], submit: Bool, by caller: Caller) async throws {
        let c = try await own(f, by: caller)
        guard c.contributionState != .merged else { throw AppError.conflict("牵头单位已合并本单位的答案，如需修改请联系牵头单位") }
        let ind = try await FilingService.indicator(f, on: caller.db)
        let mine = Set(c.items)
        let foreign = answers.keys.filter { !mine.contains($0) && !(answers[$0] ?? "").isEmpty }.sorted()
        if !foreign.isEmpty { throw AppError.invalid(["items": "以下题目未分配给本单位：" + foreign.joined(separator: "、")]) }
        let cleaned = answers.filter { mine.contains($0.key) }.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.value.isEmpty }
        var problems = AnswerValidation.draftProblems(cleaned, indicator: ind)
        if submit {
            for code in c.items where cleaned[code] == nil {
                problems.append(.init(field: code, message: "第 \(code) 题未填写"))
            }
        }
        if !problems.isEmpty { throw AppError.invalid(problems) }
        let user = caller.user
        c.answers = cleaned
        c.state = (submit ? FilingContribution.State.submitted : .draft).rawValue
        c.updatedBy = user.username
        let leadUnit = f.$leadUnit.id
        let fid = try f.requireID()
        try await caller.db.writeTransaction { db in
            try await c.update(on: db)
            if submit {
                try await InAppNotification.notifyUnit(
                    leadUnit, roles: [Role.filer.rawValue, Role.unitHead.rawValue],
                    message: "配合单位已提交“\(ind.nameZh)”的 \(c.items.count) 道题目，请合并", link: SiteURL.filing(fid), at: caller.clock.now(), on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: submit ? "contribute" : "contribution_draft", entityType: "filing",
                entityID: fid, before: noSnapshot, after: cleaned)
        }
    }

    /// The lead unit copies a submitted contribution into the filing (a normal versioned save).
    static func merge(_ f: Filing, contributionID: UUID, by caller: Caller) async throws {
        guard let c = try await FilingContribution.find(contributionID, on: caller.db), c.$filing.id == f.id else {
            throw AppError.notFound("配合单位填报")
        }
        guard c.contributionState == .submitted else { throw AppError.conflict("配合单位尚未提交，不能合并") }
        var answers = f.answers
        for (k, v) in c.answers { answers[k] = v }
        try await FilingService.save(f, answers: answers, expectedVersion: f.version, by: caller)
        c.state = FilingContribution.State.merged.rawValue
        try await c.update(on: caller.db)
    }
}
