import Fluent
import Vapor
import YingshangCore

/// One indicator's filing for one assessed region, kept by the lead unit. Answers are a JSON object
/// (item code → text); `version` increases with every save and guards against lost updates.
final class Filing: Model, @unchecked Sendable {
    static let schema = "filings"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Parent(key: "region_id") var region: Region
    @Field(key: "indicator_code") var indicatorCode: String
    @Parent(key: "lead_unit_id") var leadUnit: Unit
    @Field(key: "state") var state: String
    @Field(key: "answers") var answersJSON: String
    @Field(key: "version") var version: Int
    @OptionalField(key: "last_action") var lastAction: String?
    @OptionalField(key: "last_reason") var lastReason: String?
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(campaignID: UUID, regionID: UUID, indicatorCode: String, leadUnitID: UUID, by: String) {
        self.$campaign.id = campaignID
        self.$region.id = regionID
        self.indicatorCode = indicatorCode
        self.$leadUnit.id = leadUnitID
        self.state = FilingState.draft.rawValue
        self.answersJSON = "{}"
        self.version = 1
        self.updatedBy = by
    }

    var filingState: FilingState { FilingState(rawValue: state) ?? .draft }
    var lastFilingAction: FilingAction? { lastAction.flatMap(FilingAction.init(rawValue:)) }

    var answers: [String: String] {
        get { (try? JSONDecoder().decode([String: String].self, from: Data(answersJSON.utf8))) ?? [:] }
        set { answersJSON = Filing.encodeAnswers(newValue) }
    }

    /// Answers as stored: sorted keys, so equal answers give equal text (versions and diffs compare it).
    static func encodeAnswers(_ answers: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(answers)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    var workStatus: WorkStatus {
        FilingWorkflow.workStatus(
            state: filingState, lastAction: lastFilingAction,
            hasAnswers: answers.values.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
    }
}

/// Every save of a filing, for the version history and the diff view.
final class FilingVersion: Model, @unchecked Sendable {
    static let schema = "filing_versions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "filing_id") var filing: Filing
    @Field(key: "version") var version: Int
    @Field(key: "answers") var answersJSON: String
    @Field(key: "attachments") var attachmentsJSON: String
    @Field(key: "saved_by") var savedBy: String
    @Field(key: "saved_at") var savedAt: Date

    init() {}

    /// `at` from the application's clock (a replayed campaign's versions carry its dates).
    init(filing: Filing, attachments: [String], by: String, at: Date) throws {
        self.$filing.id = try filing.requireID()
        self.version = filing.version
        self.answersJSON = filing.answersJSON
        self.attachmentsJSON = String(decoding: try JSONEncoder().encode(attachments.sorted()), as: UTF8.self)
        self.savedBy = by
        self.savedAt = at
    }
}

/// The workflow timeline: every transition with who, when and the reason.
final class FilingEvent: Model, @unchecked Sendable {
    static let schema = "filing_events"

    @ID(key: .id) var id: UUID?
    @Parent(key: "filing_id") var filing: Filing
    @Field(key: "action") var action: String
    @Field(key: "from_state") var fromState: String
    @Field(key: "to_state") var toState: String
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "actor") var actor: String
    @Field(key: "at") var at: Date

    init() {}

    /// `at` from the application's clock: scoring counts late working days from the first submit's time.
    init(filingID: UUID, action: String, from: String, to: String, reason: String?, actor: String, at: Date) {
        self.$filing.id = filingID
        self.action = action
        self.fromState = from
        self.toState = to
        self.reason = reason
        self.actor = actor
        self.at = at
    }
}

/// A stored file, by content: the same bytes are kept once whatever their name.
final class EvidenceBlob: Model, @unchecked Sendable {
    static let schema = "evidence_blobs"

    @ID(key: .id) var id: UUID?
    @Field(key: "sha256") var sha256: String
    @Field(key: "size") var size: Int
    @Field(key: "kind") var kind: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(sha256: String, size: Int, kind: EvidenceCheck.Kind) {
        self.sha256 = sha256
        self.size = size
        self.kind = kind.rawValue
    }
}

/// A file attached to a filing or to one of its items, under the name the uploader gave it.
final class FilingAttachment: Model, @unchecked Sendable {
    static let schema = "filing_attachments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "filing_id") var filing: Filing
    @OptionalField(key: "item_code") var itemCode: String?
    @Field(key: "sha256") var sha256: String
    @Field(key: "name") var name: String
    @Field(key: "size") var size: Int
    @Field(key: "kind") var kind: String
    @Field(key: "uploaded_by") var uploadedBy: String
    /// 印发日期 of a policy document, when the uploader gave it (checked against the evaluation period).
    @OptionalField(key: "issued_on") var issuedOn: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(filingID: UUID, itemCode: String?, blob: EvidenceBlob, name: String, by: String) {
        self.$filing.id = filingID
        self.itemCode = itemCode
        self.sha256 = blob.sha256
        self.name = name
        self.size = blob.size
        self.kind = blob.kind
        self.uploadedBy = by
    }
}

struct CreateFilingTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Filing.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("lead_unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("state", .string, .required)
            .field("answers", .string, .required)
            .field("version", .int, .required)
            .field("last_action", .string)
            .field("last_reason", .string)
            .field("updated_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "campaign_id", "region_id", "indicator_code")
            .create()
        try await db.schema(FilingVersion.schema)
            .id()
            .field("filing_id", .uuid, .required, .references(Filing.schema, "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("answers", .string, .required)
            .field("attachments", .string, .required)
            .field("saved_by", .string, .required)
            .field("saved_at", .datetime, .required)
            .unique(on: "filing_id", "version")
            .create()
        try await db.schema(FilingEvent.schema)
            .id()
            .field("filing_id", .uuid, .required, .references(Filing.schema, "id", onDelete: .cascade))
            .field("action", .string, .required)
            .field("from_state", .string, .required)
            .field("to_state", .string, .required)
            .field("reason", .string)
            .field("actor", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await db.schema(EvidenceBlob.schema)
            .id()
            .field("sha256", .string, .required)
            .field("size", .int, .required)
            .field("kind", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "sha256")
            .create()
        try await db.schema(FilingAttachment.schema)
            .id()
            .field("filing_id", .uuid, .required, .references(Filing.schema, "id", onDelete: .cascade))
            .field("item_code", .string)
            .field("sha256", .string, .required)
            .field("name", .string, .required)
            .field("size", .int, .required)
            .field("kind", .string, .required)
            .field("uploaded_by", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        for s in [FilingAttachment.schema, EvidenceBlob.schema, FilingEvent.schema, FilingVersion.schema, Filing.schema] {
            try await db.schema(s).delete()
        }
    }
}

struct AddAttachmentIssuedOn: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(FilingAttachment.schema).field("issued_on", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(FilingAttachment.schema).deleteField("issued_on").update()
    }
}
