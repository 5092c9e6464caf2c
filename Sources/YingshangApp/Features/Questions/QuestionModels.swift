import Fluent
import SQLKit
import Vapor
import YingshangCore

/// A filer's question (答疑) on an indicator or one of its items; the bureau answers; answered questions marked
/// public form the indicator's FAQ.
final class Question: Model, @unchecked Sendable {
    static let schema = "questions"

    enum Status: String, CaseIterable, Codable {
        case open, answered, closed

        var chineseName: String {
            switch self {
            case .open: return "待答复"
            case .answered: return "已答复"
            case .closed: return "已关闭"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "indicator_code") var indicatorCode: String
    @OptionalField(key: "item_code") var itemCode: String?
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "asked_by") var askedBy: String
    @Field(key: "title") var title: String
    @Field(key: "body") var body: String
    @Field(key: "status") var status: String
    @Field(key: "is_public") var isPublic: Bool
    @Field(key: "last_activity_at") var lastActivityAt: Date
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(campaignID: UUID, indicatorCode: String, itemCode: String?, unitID: UUID, askedBy: String, title: String, body: String, at now: Date) {
        self.$campaign.id = campaignID
        self.indicatorCode = indicatorCode
        self.itemCode = itemCode
        self.$unit.id = unitID
        self.askedBy = askedBy
        self.title = title
        self.body = body
        self.status = Status.open.rawValue
        self.isPublic = false
        self.lastActivityAt = now
    }

    var questionStatus: Status { Status(rawValue: status) ?? .open }
}

final class QuestionReply: Model, @unchecked Sendable {
    static let schema = "question_replies"

    @ID(key: .id) var id: UUID?
    @Parent(key: "question_id") var question: Question
    @Field(key: "body") var body: String
    @Field(key: "author") var author: String
    @Field(key: "from_bureau") var fromBureau: Bool
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(questionID: UUID, body: String, author: String, fromBureau: Bool, at now: Date) {
        self.$question.id = questionID
        self.body = body
        self.author = author
        self.fromBureau = fromBureau
        self.createdAt = now
    }
}

/// When a user last read a thread: a thread with newer activity is shown as unread.
final class QuestionRead: Model, @unchecked Sendable {
    static let schema = "question_reads"

    @ID(key: .id) var id: UUID?
    @Parent(key: "question_id") var question: Question
    @Parent(key: "user_id") var user: User
    @Field(key: "read_at") var readAt: Date

    init() {}

    init(questionID: UUID, userID: UUID, at now: Date) {
        self.$question.id = questionID
        self.$user.id = userID
        self.readAt = now
    }
}

/// An in-app notification (no e-mail server needed).
final class InAppNotification: Model, @unchecked Sendable {
    static let schema = "notifications"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "message") var message: String
    @Field(key: "link") var link: String
    @OptionalField(key: "read_at") var readAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(userID: UUID, message: String, link: String, at now: Date) {
        self.$user.id = userID
        self.message = message
        self.link = link
        self.createdAt = now
    }

    /// Notifies every active user of a unit (optionally only some roles), inside the caller's transaction. The news
    /// is about the unit's filings and questions, so users whose role cannot open them (the security and audit
    /// administrators) are left out: a notice must not link to a 403.
    static func notifyUnit(_ unitID: UUID, roles: [String]? = nil, message: String, link: String, at now: Date, on db: any Database) async throws {
        let readers = Role.allCases.filter { Permissions.allows($0, .viewFilings) }.map(\.rawValue)
        let q = User.query(on: db).filter(\.$unit.$id == unitID).filter(\.$isActive == true)
            .filter(\.$role ~~ (roles.map { r in r.filter(readers.contains) } ?? readers))
        for u in try await q.all() {
            try await InAppNotification(userID: try u.requireID(), message: message, link: link, at: now).create(on: db)
        }
    }
}

struct CreateQuestionTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Question.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("indicator_code", .string, .required)
            .field("item_code", .string)
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("asked_by", .string, .required)
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("status", .string, .required)
            .field("is_public", .bool, .required)
            .field("last_activity_at", .datetime, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(QuestionReply.schema)
            .id()
            .field("question_id", .uuid, .required, .references(Question.schema, "id", onDelete: .cascade))
            .field("body", .string, .required)
            .field("author", .string, .required)
            .field("from_bureau", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(QuestionRead.schema)
            .id()
            .field("question_id", .uuid, .required, .references(Question.schema, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("read_at", .datetime, .required)
            .unique(on: "question_id", "user_id")
            .create()
        try await db.schema(InAppNotification.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("message", .string, .required)
            .field("link", .string, .required)
            .field("read_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        for s in [InAppNotification.schema, QuestionRead.schema, QuestionReply.schema, Question.schema] {
            try await db.schema(s).delete()
        }
    }
}

/// Every signed-in page counts its account's unread notifications; without an index that count read the whole table
/// (22 ms a page at 300,000 notifications on SQLite, 0.1 ms with it: docs/benchmarks.md, session 30).
struct IndexUnreadNotifications: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE INDEX IF NOT EXISTS notifications_user_unread ON notifications (user_id, read_at)").run()
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX IF EXISTS notifications_user_unread").run()
    }
}
