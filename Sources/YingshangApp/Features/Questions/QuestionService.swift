import Fluent
import Vapor
import YingshangCore

struct QuestionInput: Content {
    var campaignID: String?
    var indicatorCode: String?
    var itemCode: String?
    var title: String?
    var body: String?
}

struct ReplyInput: Content {
    var body: String?
}

struct QuestionDTO: Content {
    struct Reply: Content {
        let body: String
        let author: String
        let fromBureau: Bool
        let at: Date
    }

    let id: UUID
    let campaignID: UUID
    let indicatorCode: String
    let itemCode: String?
    let unitID: UUID
    let askedBy: String
    let title: String
    let body: String
    let status: String
    let isPublic: Bool
    let replies: [Reply]
}

/// 答疑: filers ask, the bureau answers; a unit sees its own threads and the public FAQ.
enum QuestionService {
    static func ask(_ input: QuestionInput, by caller: Caller) async throws -> Question {
        let user = caller.user
        var fields: [String: String] = [:]
        let title = input.title.trimmed
        let body = input.body.trimmed
        if title.isEmpty || title.count > 100 { fields["title"] = "标题必填，不超过 100 个字" }
        if body.isEmpty || body.count > 5000 { fields["body"] = "问题内容必填，不超过 5000 个字" }
        guard let cid = input.campaignID?.nonBlank.flatMap(UUID.init(uuidString:)), let campaign = try await Campaign.find(cid, on: caller.db)
        else { throw AppError.invalid(fields.merging(["campaignID": "评价任务不存在"]) { a, _ in a }) }
        // A campaign outside the account's regions does not exist for it.
        do {
            try await CampaignService.checkScope(campaign, scope: caller.scope, action: nil, on: caller.db)
        } catch let e as AppError where e.status == .notFound {
            throw AppError.invalid(fields.merging(["campaignID": "评价任务不存在"]) { a, _ in a })
        }
        let catalog = try await campaign.catalog(on: caller.db)
        let code = input.indicatorCode.trimmed
        let campaignCodes = Set(try await CampaignIndicator.query(on: caller.db).filter(\.$campaign.$id == cid).all().map(\.code))
        if !campaignCodes.contains(code) { fields["indicatorCode"] = "请选择本次评价的指标" }
        let item = input.itemCode?.nonBlank
        if let item, catalog.indicator(code)?.questionnaire.contains(where: { $0.code == item }) != true {
            fields["itemCode"] = "问卷中没有题目 \(item)"
        }
        guard fields.isEmpty else { throw AppError.invalid(fields) }
        let q = Question(
            campaignID: cid, indicatorCode: code, itemCode: item, unitID: user.$unit.id, askedBy: user.username, title: title,
            body: body, at: caller.clock.now())
        try await caller.db.writeTransaction { db in
            try await q.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "question", entityID: q.id, before: noSnapshot,
                after: ["title": title, "indicator": code])
        }
        return q
    }

    /// A thread, if the account may read it (`QuestionAccess`): 404 for another region's, as for a random id, 403
    /// for another unit's private thread in reach.
    static func find(_ id: UUID, by caller: Caller) async throws -> Question {
        guard let q = try await Question.find(id, on: caller.db) else { throw AppError.notFound("问题") }
        let region = try await Unit.find(q.$unit.id, on: caller.db)?.$region.id
        let readable = QuestionAccess.canRead(
            role: caller.role, ownUnit: caller.user.$unit.id.uuidString, scope: caller.scope, askingUnit: q.$unit.id.uuidString,
            askingUnitRegion: region?.uuidString, isPublic: q.isPublic)
        guard readable else {
            if !caller.scope.covers(region?.uuidString) { throw AppError.notFound("问题") }
            throw AppError.forbidden("只能查看本单位的提问和公开的常见问题")
        }
        return q
    }

    static func reply(_ q: Question, _ input: ReplyInput, by caller: Caller) async throws {
        let user = caller.user
        let role = caller.role
        let bureau = Permissions.allows(role, .answerQuestions)
        guard bureau || (Permissions.allows(role, .askQuestions) && q.$unit.id == user.$unit.id) else {
            throw AppError.forbidden("只有提问单位和审批局可以回复")
        }
        guard q.questionStatus != .closed else { throw AppError.conflict("问题已关闭，不能再回复") }
        let body = input.body.trimmed
        if body.isEmpty || body.count > 5000 { throw AppError.invalid(["body": "回复内容必填，不超过 5000 个字"]) }
        let qid = try q.requireID()
        try await caller.db.writeTransaction { db in
            try await QuestionReply(questionID: qid, body: body, author: user.username, fromBureau: bureau, at: caller.clock.now()).create(on: db)
            q.lastActivityAt = caller.clock.now()
            if bureau { q.status = Question.Status.answered.rawValue }
            try await q.update(on: db)
            if bureau {
                try await InAppNotification.notifyUnit(
                    q.$unit.id, roles: [Role.filer.rawValue, Role.unitHead.rawValue],
                    message: "审批局答复了您单位的问题“\(q.title)”", link: SiteURL.question(qid), at: caller.clock.now(), on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: "reply", entityType: "question", entityID: qid, before: noSnapshot,
                after: ["length": body.count])
        }
    }

    struct StatusInput: Content {
        var status: String?
        var isPublic: String?
    }

    static func setStatus(_ q: Question, _ input: StatusInput, by caller: Caller) async throws {
        guard let status = Question.Status(rawValue: input.status.trimmed) else {
            throw AppError.invalid(["status": "状态应为 open、answered 或 closed"])
        }
        let before = ["status": q.status, "public": String(q.isPublic)]
        q.status = status.rawValue
        q.isPublic = input.isPublic != nil && input.isPublic != "false"
        if q.isPublic && status == .open { throw AppError.invalid(["isPublic": "尚未答复的问题不能公开为常见问题"]) }
        try await caller.db.writeTransaction { db in
            try await q.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "question", entityID: q.id,
                before: before, after: ["status": q.status, "public": String(q.isPublic)])
        }
    }

    static func markRead(_ q: Question, user: User, now: Date, on db: any Database) async throws {
        let qid = try q.requireID()
        let uid = try user.requireID()
        if let r = try await QuestionRead.query(on: db).filter(\.$question.$id == qid).filter(\.$user.$id == uid).first() {
            r.readAt = now
            try await r.update(on: db)
        } else {
            try? await QuestionRead(questionID: qid, userID: uid, at: now).create(on: db)
        }
    }

    static func dto(_ q: Question, on db: any Database) async throws -> QuestionDTO {
        let replies = try await QuestionReply.query(on: db).filter(\.$question.$id == (try q.requireID())).sort(\.$createdAt).all()
        return QuestionDTO(
            id: try q.requireID(), campaignID: q.$campaign.id, indicatorCode: q.indicatorCode, itemCode: q.itemCode,
            unitID: q.$unit.id, askedBy: q.askedBy, title: q.title, body: q.body, status: q.status, isPublic: q.isPublic,
            replies: replies.map { .init(body: $0.body, author: $0.author, fromBureau: $0.fromBureau, at: $0.createdAt) })
    }

    /// Questions visible to the user, newest activity first.
    static func visible(status: String, indicator: String, by caller: Caller) async throws -> [Question] {
        let user = caller.user
        var q = Question.query(on: caller.db)
        // The same rule as `QuestionAccess.canRead`, as a query: units in reach, then the unit-scoped narrowing.
        let inReach = try await RegionScopes.unitIDs(caller.scope, on: caller.db)
        if caller.role.isUnitScoped {
            q = q.group(.or) { or in
                or.filter(\.$unit.$id == user.$unit.id)
                if let inReach {
                    or.group(.and) { $0.filter(\.$isPublic == true).filter(\.$unit.$id ~~ inReach) }
                } else {
                    or.filter(\.$isPublic == true)
                }
            }
        } else if let inReach {
            q = q.filter(\.$unit.$id ~~ inReach)
        }
        if !status.isEmpty { q = q.filter(\.$status == status) }
        if !indicator.isEmpty { q = q.filter(\.$indicatorCode == indicator) }
        return try await q.sort(\.$lastActivityAt, .descending).limit(500).all()
    }

    /// Open questions per indicator, for one region's dispatch board: those asked by units of that region (a thread
    /// belongs to its asking unit's region, as in `QuestionAccess`); units of no region belong to the whole deployment,
    /// so they count on the board only when the campaign assesses a single region.
    static func openCounts(campaignID: UUID, regionID: UUID, on db: any Database) async throws -> [String: Int] {
        let open = try await Question.query(on: db).filter(\.$campaign.$id == campaignID).filter(\.$status == Question.Status.open.rawValue).all()
        guard !open.isEmpty else { return [:] }
        let single = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == campaignID).count() <= 1
        let regions = Dictionary(
            try await Unit.query(on: db).filter(\.$id ~~ Set(open.map { $0.$unit.id })).all().compactMap { u in u.id.map { ($0, u.$region.id) } },
            uniquingKeysWith: { a, _ in a })
        // A unit counts on the board of its region or of any region above it (a township's government on its
        // county's board); a unit of no region only when the campaign has one region to give it to.
        let board = RegionScope(bound: [regionID.uuidString], parents: try await RegionScopes.parents(on: db))
        var counts: [String: Int] = [:]
        for q in open {
            let region = regions[q.$unit.id] ?? nil
            if region.map({ board.covers($0.uuidString) }) ?? single { counts[q.indicatorCode, default: 0] += 1 }
        }
        return counts
    }
}
