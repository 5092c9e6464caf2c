import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YingshangCore

final class SurveyTemplateRecord: Model, @unchecked Sendable {
    static let schema = "survey_templates"

    @ID(key: .id) var id: UUID?
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "version") var version: Int
    @Field(key: "content") var content: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    var template: SurveyTemplate? { try? JSONDecoder().decode(SurveyTemplate.self, from: Data(content.utf8)) }
}

/// One enterprise's survey, reached through an unguessable link (enterprises have no accounts).
final class SurveyResponse: Model, @unchecked Sendable {
    static let schema = "survey_responses"

    @ID(key: .id) var id: UUID?
    @Parent(key: "draw_id") var draw: SampleDraw
    @Parent(key: "enterprise_id") var enterprise: Enterprise
    @Parent(key: "template_id") var template: SurveyTemplateRecord
    @Field(key: "token") var token: String
    @Field(key: "status") var status: String
    @Field(key: "answers") var answersJSON: String
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "expires_at") var expiresAt: Date?

    init() {}

    func isExpired(at now: Date) -> Bool { Self.isExpired(expiresAt, at: now) }

    /// A link is expired once its expiry has passed (no expiry: never).
    static func isExpired(_ expiresAt: Date?, at now: Date) -> Bool { expiresAt.map { $0 < now } ?? false }

    /// The stored answers (`JSONText.object`); unreadable text counts as none.
    /// Stored answers are a flat object of strings (`JSONText.object`), read without Foundation's decoder (which was
    /// a third of the survey results page for 10,000 responses); anything else still goes through it.
    static func answers(fromJSON json: String) -> [String: String] {
        SubmissionJSON.stringObject(json, capacity: 96) ?? (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    /// The 查询码 printed on the letter so staff can find an enterprise on the phone.
    var shortCode: String { SurveyToken.code(of: token) }

    var answers: [String: String] { Self.answers(fromJSON: answersJSON) }
}

struct AddSurveyExpiry: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SurveyResponse.schema).field("expires_at", .datetime).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SurveyResponse.schema).deleteField("expires_at").update()
    }
}

struct CreateSurveyTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SurveyTemplateRecord.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("content", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "campaign_id", "version")
            .create()
        try await db.schema(SurveyResponse.schema)
            .id()
            .field("draw_id", .uuid, .required, .references(SampleDraw.schema, "id", onDelete: .cascade))
            .field("enterprise_id", .uuid, .required, .references(Enterprise.schema, "id"))
            .field("template_id", .uuid, .required, .references(SurveyTemplateRecord.schema, "id"))
            .field("token", .string, .required)
            .field("status", .string, .required)
            .field("answers", .string, .required)
            .field("submitted_at", .datetime)
            .unique(on: "token")
            .unique(on: "draw_id", "enterprise_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SurveyResponse.schema).delete()
        try await db.schema(SurveyTemplateRecord.schema).delete()
    }
}

enum SurveyService {
    /// The campaign's current template, created from its indicators on first use.
    static func currentTemplate(_ campaign: Campaign, on db: any Database) async throws -> SurveyTemplateRecord {
        let cid = try campaign.requireID()
        if let t = try await SurveyTemplateRecord.query(on: db).filter(\.$campaign.$id == cid).sort(\.$version, .descending).first() {
            return t
        }
        let indicators = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == cid).sort(\.$position).all()
        let t = SurveyTemplateRecord()
        t.$campaign.id = cid
        t.version = 1
        let catalog = try await campaign.catalog(on: db)
        t.content = String(decoding: try JSONEncoder().encode(SurveyTemplate.standard(catalog: catalog, codes: indicators.map(\.code))), as: UTF8.self)
        try await t.create(on: db)
        return t
    }

    /// Replaces the template; once any survey was issued with it, the change becomes a new version. Audited.
    static func save(_ campaign: Campaign, _ template: SurveyTemplate, by caller: Caller) async throws -> SurveyTemplateRecord {
        let codes = template.items.map(\.code)
        if codes.isEmpty || Set(codes).count != codes.count { throw AppError.invalid(["items": "问卷至少 1 题，题目代码不能重复"]) }
        if codes.count > 1000 { throw AppError.invalid(["items": "问卷不超过 1000 题"]) }
        let screening = Set(template.items.filter { $0.kind == .screening }.map(\.code))
        for (i, item) in template.items.enumerated() {
            let text = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if item.code.isEmpty || item.code.count > 100 || text.isEmpty || text.count > 500 {
                throw AppError.invalid(["items[\(i)]": "第 \(i + 1) 题：题目代码（不超过 100 字符）和题干（不超过 500 字）必填"])
            }
            if let condition = item.askedIf, !screening.contains(condition) {
                throw AppError.invalid(["items[\(i)]": "第 \(i + 1) 题的前置题 \(String(condition.prefix(100))) 不是问卷中的筛选题"])
            }
        }
        let current = try await currentTemplate(campaign, on: caller.db)
        let used = try await SurveyResponse.query(on: caller.db).filter(\.$template.$id == (try current.requireID())).count() > 0
        let content = String(decoding: try JSONEncoder().encode(template), as: UTF8.self)
        let before = ["version": String(current.version), "items": String(current.template?.items.count ?? 0)]
        return try await caller.db.writeTransaction { db in
            let saved: SurveyTemplateRecord
            if !used {
                current.content = content
                try await current.update(on: db)
                saved = current
            } else {
                saved = SurveyTemplateRecord()
                saved.$campaign.id = try campaign.requireID()
                saved.version = current.version + 1
                saved.content = content
                try await saved.create(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "survey_template", entityID: campaign.id, before: before,
                after: ["version": String(saved.version), "items": String(template.items.count)])
            return saved
        }
    }

    /// Issues a survey link to every active sampled enterprise that has none; locks the draw. `caller` nil: the CLI.
    static func issue(_ draw: SampleDraw, by caller: Caller?, clock: AppClock, on database: any Database, validDays: Int = 30) async throws -> Int {
        let expiry = clock.now().addingTimeInterval(Double(validDays) * 86400)
        let campaign = try await draw.$campaign.get(on: database)
        let template = try await currentTemplate(campaign, on: database)
        let did = try draw.requireID()
        // The enterprise ids alone: whole models of a 40,000-enterprise sample took longer than the inserts.
        let active = try await SampleMember.query(on: database).filter(\.$draw.$id == did).filter(\.$role == "sample")
            .filter(\.$status == "active").all(\.$enterprise.$id)
        let have = Set(try await SurveyResponse.query(on: database).filter(\.$draw.$id == did).all(\.$enterprise.$id))
        let todo = active.filter { !have.contains($0) }
        let tid = try template.requireID()
        let responses = todo.map { enterprise in
            let r = SurveyResponse()
            r.$draw.id = did
            r.$enterprise.id = enterprise
            r.$template.id = tid
            r.token = SurveyToken.generate()
            r.status = "issued"
            r.answersJSON = "{}"
            r.expiresAt = expiry
            return r
        }
        try await database.writeTransaction { db in
            // Multi-row inserts of 1,000 (9,000 binds: within both engines' limits); one insert per link made
            // issuing a 40,000-enterprise sample 40,000 statements.
            for start in stride(from: 0, to: responses.count, by: 1_000) {
                try await Array(responses[start..<min(start + 1_000, responses.count)]).create(on: db)
            }
            draw.locked = true
            try await draw.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, clock: clock, action: "issue_surveys", entityType: "sample", entityID: did,
                before: noSnapshot, after: ["issued": todo.count])
        }
        return todo.count
    }
}

extension SurveyTemplate: Content {}

/// Group commit for survey submissions: submissions that arrive while a batch is being handled are handled together
/// in the next one — their responses read with one statement, each checked, the accepted ones written in one
/// transaction — so a burst of enterprises costs one read, one write and one commit (one fsync) per batch instead of
/// per answer. Each caller resumes only after the transaction holding its write has committed.
///
/// The submissions waiting are bounded (`limit`: count and bytes of answers), since anyone holding a link may post:
/// beyond the bound a submission is refused at once with 503 and `Retry-After` rather than held in memory, and is not
/// stored.
actor SurveyWriteQueue {
    private struct Item: Sendable {
        let token: String
        let answers: [String: String]
        let final: Bool
        let at: Date
        let bytes: Int
        let done: CheckedContinuation<SurveyService.SubmitOutcome, any Error>
    }

    struct Limit: Sendable {
        /// Submissions waiting or being written (a batch is 300; at ~3,000/s this is a few seconds of backlog).
        var count = 10_000
        /// Their answers' bytes (keys and values): a body may be up to 1 MB.
        var bytes = 64 << 20
    }

    private let database: @Sendable () -> any Database
    /// On a SQLite file, batches of final submissions go through `SurveyBatchesSQLite` (nil: through Fluent).
    private let direct: SurveyBatchesSQLite?
    private let limit: Limit
    private var pending: [Item] = []
    private var draining = false
    private var held = 0
    private var heldBytes = 0
    /// Tests hold the queue here to fill it deterministically; nil in the application.
    private var gate: (@Sendable () async -> Void)?

    /// `sqliteFile`: the application's SQLite file, whose final submissions then go through `SurveyBatchesSQLite`
    /// (which waits `busyTimeout` milliseconds for another connection's write).
    init(
        database: @escaping @Sendable () -> any Database, sqliteFile: String? = nil, limit: Limit = Limit(),
        busyTimeout: Int32 = 5000, gate: (@Sendable () async -> Void)? = nil
    ) {
        self.database = database
        direct = sqliteFile.map { SurveyBatchesSQLite(path: $0, database: database, limit: limit, busyTimeout: busyTimeout, gate: gate) }
        self.limit = limit
        self.gate = direct == nil ? gate : nil
    }

    /// Submissions admitted and not yet answered.
    var waiting: Int { held + (direct?.waiting ?? 0) }

    static let busy = AppError(
        status: .serviceUnavailable, code: "busy", message: "当前提交人数较多，答卷未保存，请稍后重新提交",
        headers: ["Retry-After": "5"])

    /// `SurveyService.submit`'s answer for this submission, once it is committed (or refused).
    nonisolated func submit(token: String, answers: [String: String], final: Bool, at now: Date) async throws -> SurveyService.SubmitOutcome {
        if final, let direct { return try await direct.submit(token: token, answers: answers, at: now) }
        return try await enqueue(token: token, answers: answers, final: final, at: now)
    }

    private func enqueue(token: String, answers: [String: String], final: Bool, at now: Date) async throws -> SurveyService.SubmitOutcome {
        let bytes = answers.reduce(token.utf8.count) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard held < limit.count, heldBytes + bytes <= limit.bytes else { throw Self.busy }
        held += 1
        heldBytes += bytes
        return try await withCheckedThrowingContinuation { cont in
            pending.append(Item(token: token, answers: answers, final: final, at: now, bytes: bytes, done: cont))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        // Two batches in flight at most: while one is being written and committed, the next is read and checked, so a
        // submission waits for one commit rather than for a read, a check and a commit in turn. The next batch's read
        // may see a response the batch being written is about to submit; its conditional write then changes nothing
        // and `settle` answers from what was committed.
        var writing: (task: Task<Void, Never>, count: Int, bytes: Int)?
        while true {
            if pending.isEmpty {
                guard let w = writing else { break }
                // Submissions arriving meanwhile are appended to `pending`: look again once the write is done.
                await w.task.value
                release(w.count, w.bytes)
                writing = nil
                continue
            }
            if let gate {
                await gate()
                self.gate = nil
            }
            // A batch holds each token once: of two submissions for one response the later waits for the next batch,
            // so every write's outcome is known from the rows the statement returns.
            var batch: [Item] = []
            var rest: [Item] = []
            var tokens: Set<String> = []
            for item in pending {
                if batch.count < Self.chunk, tokens.insert(item.token).inserted { batch.append(item) } else { rest.append(item) }
            }
            pending = rest
            let accepted = await check(batch)
            if let w = writing {
                await w.task.value
                release(w.count, w.bytes)
            }
            let db = database()
            writing = (Task { await Self.write(accepted, on: db) }, batch.count, batch.reduce(0) { $0 + $1.bytes })
        }
        draining = false
    }

    private func release(_ count: Int, _ bytes: Int) {
        held -= count
        heldBytes -= bytes
    }

    private struct Accepted: Sendable {
        let item: Item
        let answers: [String: String]
        let write: Write
    }

    /// Reads the batch's responses with one statement and checks each submission as on its own: those refused or
    /// already received are answered here, the accepted ones returned for the write.
    private func check(_ batch: [Item]) async -> [Accepted] {
        let db = database()
        let visits: [String: SurveyVisit]
        do {
            visits = try await SurveyVisit.find(tokens: batch.map(\.token), on: db)
        } catch {
            for item in batch { item.done.resume(throwing: error) }
            return []
        }
        // The batch's templates (almost always one) looked up once, so checking each submission below is plain
        // synchronous work on this actor: no hop off it and back per submission.
        var checkers: [UUID: SurveyChecker] = [:]
        for id in Set(visits.values.map(\.templateID)) {
            do { checkers[id] = try await TemplateCache.shared.checker(id, on: db) } catch {
                for item in batch { item.done.resume(throwing: error) }
                return []
            }
        }
        var accepted: [Accepted] = []
        for item in batch {
            do {
                let visit = visits[item.token]
                switch try SurveyService.decide(visit, checker: visit.flatMap { checkers[$0.templateID] }, answers: item.answers, final: item.final, now: item.at) {
                case .done(let outcome): item.done.resume(returning: outcome)
                case .write(let id, let answers, let json): accepted.append(Accepted(item: item, answers: answers, write: Write(id: id, json: json, final: item.final, at: item.at)))
                }
            } catch {
                item.done.resume(throwing: error)
            }
        }
        return accepted
    }

    /// Writes the accepted submissions and answers each once its write is committed.
    private static func write(_ accepted: [Accepted], on db: any Database) async {
        guard !accepted.isEmpty else { return }
        var changed: Set<UUID> = []
        var failed: Set<UUID> = []
        do {
            changed = try await conditionalWritesCommitted(accepted.map(\.write), on: db)
        } catch {
            // One failing write must not fail its neighbours: retry each on its own.
            for a in accepted {
                do {
                    changed.formUnion(try await conditionalWritesCommitted([a.write], on: db))
                } catch {
                    failed.insert(a.write.id)
                    a.item.done.resume(throwing: error)
                }
            }
        }
        for a in accepted where !failed.contains(a.write.id) {
            if changed.contains(a.write.id) {
                a.item.done.resume(returning: .stored)
                continue
            }
            // Not changed: submitted meanwhile (another instance, a submission of the page, or the batch before).
            do { a.item.done.resume(returning: try await SurveyService.settle(a.write.id, answers: a.answers, on: db)) } catch {
                a.item.done.resume(throwing: error)
            }
        }
    }

    struct Write: Sendable {
        let id: UUID
        let json: String
        let final: Bool
        let at: Date
    }

    /// `conditionalWrites` committed: a batch of submissions that fits one statement is written without a transaction
    /// around it (the statement is atomic), anything else in one transaction.
    static func conditionalWritesCommitted(_ writes: [Write], on db: any Database) async throws -> Set<UUID> {
        if writes.count <= chunk, writes.allSatisfy(\.final) {
            return try await db.writeStatement { try await conditionalWrites(writes, on: $0) }
        }
        return try await db.writeTransaction { try await conditionalWrites(writes, on: $0) }
    }

    /// Submissions written with one statement.
    static let chunk = 300

    /// The submissions among `writes` (distinct responses) in one statement per `chunk` — `UPDATE … FROM (VALUES …)`,
    /// each row changed only if not yet submitted — and progress saves one by one. Returns the responses changed.
    static func conditionalWrites(_ writes: [Write], chunk: Int = chunk, on db: any Database) async throws -> Set<UUID> {
        guard let sql = db as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
        var changed: Set<UUID> = []
        for w in writes where !w.final {
            if try await conditionalWrite(id: w.id, json: w.json, final: false, at: w.at, on: db) { changed.insert(w.id) }
        }
        let finals = writes.filter(\.final)
        let postgres = sql.engine == .postgres
        for start in stride(from: 0, to: finals.count, by: chunk) {
            let chunk = finals[start..<min(start + chunk, finals.count)]
            var query = SQLQueryString("UPDATE \(ident: SurveyResponse.schema) AS r SET answers = ")
            // SQLite names a VALUES list's columns column1…; PostgreSQL takes names and needs the types of the binds.
            query.appendInterpolation(unsafeRaw: postgres ? "v.answers, status = 'submitted', submitted_at = v.at FROM (VALUES " : "v.column2, status = 'submitted', submitted_at = v.column3 FROM (VALUES ")
            let (id, text, at) = postgres ? ("::uuid", "::text", "::timestamptz") : ("", "", "")
            for (i, w) in chunk.enumerated() {
                query.appendInterpolation(unsafeRaw: i > 0 ? ", (" : "(")
                query.appendInterpolation(bind: w.id)
                query.appendInterpolation(unsafeRaw: id + ", ")
                query.appendInterpolation(bind: w.json)
                query.appendInterpolation(unsafeRaw: text + ", ")
                query.appendInterpolation(bind: w.at)
                query.appendInterpolation(unsafeRaw: at + ")")
            }
            query.appendInterpolation(unsafeRaw: postgres ? ") AS v(id, answers, at) WHERE r.id = v.id" : ") AS v WHERE r.id = v.column1")
            // SQLite's RETURNING sees only the updated table, unqualified; PostgreSQL's would find `id` in both.
            query.appendInterpolation(unsafeRaw: postgres ? " AND r.status <> 'submitted' RETURNING r.id" : " AND r.status <> 'submitted' RETURNING id")
            for row in try await sql.raw(query).all() { changed.insert(try row.decode(column: "id", as: UUID.self)) }
        }
        return changed
    }

    /// `UPDATE … WHERE id = ? AND status <> 'submitted' RETURNING id`: false when it was already submitted.
    static func conditionalWrite(id: UUID, json: String, final: Bool, at now: Date, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
        // Written as one string (no query builder): this runs once per submission.
        let rows: [any SQLRow]
        if final {
            rows = try await sql.raw("""
                UPDATE \(ident: SurveyResponse.schema) SET answers = \(bind: json), status = 'submitted', submitted_at = \(bind: now)
                WHERE id = \(bind: id) AND status <> 'submitted' RETURNING id
                """).all()
        } else {
            rows = try await sql.raw("""
                UPDATE \(ident: SurveyResponse.schema) SET answers = \(bind: json) WHERE id = \(bind: id) AND status <> 'submitted' RETURNING id
                """).all()
        }
        return !rows.isEmpty
    }
}

extension Application {
    private struct SurveyWriteQueueKey: StorageKey {
        typealias Value = SurveyWriteQueue
    }

    /// The application's SQLite file (nil on PostgreSQL or in memory).
    var sqliteFile: String? {
        if case .sqlite(let path) = settings.database { return path }
        return nil
    }

    /// The instance's survey write queue (one per application, created on first use; tests set one with a small limit).
    var surveyWriteQueue: SurveyWriteQueue {
        get {
            instanceValue(SurveyWriteQueueKey.self) {
                SurveyWriteQueue(database: { [unowned self] in self.db }, sqliteFile: sqliteFile)
            }
        }
        set { storage[SurveyWriteQueueKey.self] = newValue }
    }
}

/// Decoded survey templates by id, with their answer checkers. A template that has responses never changes (edits make
/// a new version), so entries never go stale; the cache saves a query, a JSON decode and an index per submission.
/// A lock rather than an actor: a hit is a dictionary read, without a hop to another executor and back.
final class TemplateCache: Sendable {
    static let shared = TemplateCache()
    private let byID = NIOLockedValueBox<[UUID: SurveyChecker]>([:])

    func template(_ id: UUID, on db: any Database) async throws -> SurveyTemplate {
        try await checker(id, on: db).template
    }

    /// The checker of `id` if it is cached.
    @Sendable func cached(_ id: UUID) -> SurveyChecker? { byID.withLockedValue { $0[id] } }

    func checker(_ id: UUID, on db: any Database) async throws -> SurveyChecker {
        if let c = cached(id) { return c }
        guard let record = try await SurveyTemplateRecord.find(id, on: db), let t = record.template else {
            throw AppError.notFound("问卷模板")
        }
        let c = SurveyChecker(t)
        byID.withLockedValue {
            if $0.count > 1000 { $0.removeAll() }
            $0[id] = c
        }
        return c
    }
}

extension SurveyService {
    /// The submitted answer sets of `draws`, without loading each response as a model.
    static func submittedAnswers(draws: [UUID], on db: any Database) async throws -> [[String: String]] {
        guard !draws.isEmpty else { return [] }
        var query = SQLQueryString("SELECT answers FROM \(ident: SurveyResponse.schema) WHERE status = 'submitted' AND draw_id IN ")
        query.appendList(draws)
        return try await db.sql().raw(query).all().map { SurveyResponse.answers(fromJSON: try $0.decode(column: "answers", as: String.self)) }
    }

    enum SubmitOutcome {
        case stored
        case alreadyReceived
    }

    /// Stores a submission once. The same answers again count as already received; different answers after
    /// submitting, an expired or unknown token are refused. `final: false` saves progress without submitting.
    /// With a queue (the API) the submission is handled in the queue's next batch, by the same rules.
    static func submit(
        token: String, answers raw: [String: String], final: Bool, now: Date, on db: any Database, queue: SurveyWriteQueue? = nil
    ) async throws -> SubmitOutcome {
        if let queue { return try await queue.submit(token: token, answers: raw, final: final, at: now) }
        let visit = try await SurveyVisit.find(token: token, enterprise: false, on: db)
        switch try await decide(visit, answers: raw, final: final, now: now, on: db) {
        case .done(let outcome): return outcome
        case .write(let id, let answers, let json):
            // Conditional write: of two concurrent submissions only one changes the row; the other is answered from
            // what was stored, so every acknowledged answer is the one in the database.
            let write = [SurveyWriteQueue.Write(id: id, json: json, final: final, at: now)]
            let changed = try await db.writeTransaction { tx in try await SurveyWriteQueue.conditionalWrites(write, on: tx) }
            return changed.contains(id) ? .stored : try await settle(id, answers: answers, on: db)
        }
    }

    enum Decision {
        case done(SubmitOutcome)
        /// Write these answers (as `json`) to response `id`, unless it was submitted meanwhile.
        case write(id: UUID, answers: [String: String], json: String)
    }

    /// What to do with a submission for `visit` (nil: the token is unknown), read just before.
    static func decide(_ visit: SurveyVisit?, answers raw: [String: String], final: Bool, now: Date, on db: any Database) async throws -> Decision {
        var checker: SurveyChecker?
        if let visit { checker = try await TemplateCache.shared.checker(visit.templateID, on: db) }
        return try decide(visit, checker: checker, answers: raw, final: final, now: now)
    }

    /// The same, with the visit's template checker at hand (nil only with the visit).
    static func decide(_ visit: SurveyVisit?, checker: SurveyChecker?, answers raw: [String: String], final: Bool, now: Date) throws -> Decision {
        guard let r = visit, let t = checker else {
            throw AppError(status: .notFound, code: "unknown_token", message: "问卷链接无效")
        }
        // What the enterprise said it never dealt with is not stored, even if typed before it answered 否.
        let answers = t.applicable(SurveyChecker.cleaned(raw))
        if r.status == "submitted" {
            if answers == r.answers { return .done(.alreadyReceived) }
            throw AppError.conflict("问卷已提交，不能修改。感谢您的参与")
        }
        if r.isExpired(at: now) { throw AppError(status: .gone, code: "expired", message: "问卷已过期，如需填写请联系第三方评估机构") }
        let problems = final ? t.problems(answers) : t.problems(answers).filter { $0.field != "_" }
        if !problems.isEmpty { throw AppError.invalid(problems) }
        return .write(id: r.id, answers: answers, json: t.json(answers))
    }

    /// A conditional write changed nothing: the response was submitted meanwhile. The same answers count as received.
    static func settle(_ id: UUID, answers: [String: String], on db: any Database) async throws -> SubmitOutcome {
        guard let now = try await SurveyResponse.find(id, on: db), now.status == "submitted" else {
            throw AppError.conflict("问卷状态已变化，请刷新后重试")
        }
        if now.answers == answers { return .alreadyReceived }
        throw AppError.conflict("问卷已提交，不能修改。感谢您的参与")
    }
}

extension SurveyService {
    /// The campaign's current template and its submitted answers grouped by the assessed region each enterprise counts
    /// for (`SurveyRegions`); nil when the campaign has no template or no draw.
    static func answersByRegion(
        _ cid: UUID, regions: [Region], on db: any Database
    ) async throws -> (SurveyTemplate, [UUID: [[String: String]]])? {
        guard let t = try await SurveyTemplateRecord.query(on: db).filter(\.$campaign.$id == cid).sort(\.$version, .descending).first(),
            let template = t.template, !regions.isEmpty
        else { return nil }
        let draws = try await SampleDraw.query(on: db).filter(\.$campaign.$id == cid).all().compactMap(\.id)
        guard !draws.isEmpty else { return nil }
        let submitted = try await SurveyLinkList.entries(draws: draws, which: .submitted, answers: true, on: db)
        let keyed = regions.compactMap { r in r.id.map { (id: $0, code: r.code) } }
        var answers: [UUID: [[String: String]]] = [:]
        for r in submitted {
            guard let id = SurveyRegions.region(township: r.townshipCode, regions: keyed) else { continue }
            answers[id, default: []].append(r.answers)
        }
        return (template, answers)
    }
}

