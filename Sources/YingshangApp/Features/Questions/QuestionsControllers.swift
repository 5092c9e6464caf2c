import Fluent
import Vapor
import YingshangCore

/// `/questions`: 答疑 threads with unread markers, the FAQ, and `/notifications` with the daily digest.
struct QuestionsWebController {
    struct Row: Encodable {
        let id: String
        let title: String
        let indicator: String
        let unit: String
        let status: String
        let statusName: String
        let isPublic: Bool
        let unread: Bool
        let lastActivity: String
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let canAsk: Bool
        let status: String
        let statuses: [SelectOption]
        let campaigns: [SelectOption]
    }

    func register(_ g: Guarded) {
        g.get("questions", action: .viewQuestions, use: index)
        g.get("questions", "new", action: .askQuestions, use: new)
        g.post("questions", action: .askQuestions, use: create)
        g.get("questions", ":questionID", action: .viewQuestions, use: show)
        g.post("questions", ":questionID", "replies", action: .viewQuestions, use: reply)
        g.post("questions", ":questionID", "status", action: .answerQuestions, use: status)
        g.get("notifications", action: .viewNotifications, use: notifications)
        g.post("notifications", "read", action: .viewNotifications, use: markRead)
    }

    @Sendable func index(req: Request) async throws -> View {
        let status = req.query[String.self, at: "status"] ?? ""
        let questions = try await QuestionService.visible(status: status, indicator: req.query[String.self, at: "indicator"] ?? "", by: req.caller())
        let user = try req.currentUser()
        let reads = Dictionary(
            try await QuestionRead.query(on: req.db).filter(\.$user.$id == (try user.requireID())).all().map { ($0.$question.id, $0.readAt) },
            uniquingKeysWith: { a, _ in a })
        let units = Dictionary(uniqueKeysWithValues: try await Unit.query(on: req.db).all().compactMap { u in u.id.map { ($0, u.name) } })
        var names: [String: String] = [:]
        for i in try await CampaignIndicator.query(on: req.db).all() { names[i.code] = i.name }
        let rows = questions.map { q in
            Row(
                id: q.id?.uuidString ?? "", title: q.title, indicator: names[q.indicatorCode] ?? q.indicatorCode,
                unit: units[q.$unit.id] ?? "", status: q.status, statusName: q.questionStatus.chineseName, isPublic: q.isPublic,
                unread: q.id.map { reads[$0].map { $0 < q.lastActivityAt } ?? true } ?? false,
                lastActivity: DisplayTime.format(q.lastActivityAt))
        }
        let campaigns = try await req.visibleCampaigns().filter(\.$status == Campaign.Status.active.rawValue).all()
        return try await req.render(
            "questions/index", title: "答疑",
            IndexBody(
                rows: rows, canAsk: Permissions.allows(try req.currentRole(), .askQuestions), status: status,
                statuses: [SelectOption(value: "", label: "全部", selected: status.isEmpty)]
                    + Question.Status.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == status) },
                campaigns: campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) }))
    }

    struct FormBody: Encodable {
        let values: QuestionInput
        let errors: [String: String]
        let campaigns: [SelectOption]
        let indicators: [SelectOption]
    }

    private func form(_ req: Request, values: QuestionInput, errors: [String: String]) async throws -> View {
        let campaigns = try await req.visibleCampaigns().filter(\.$status == Campaign.Status.active.rawValue).all()
        let chosen = values.campaignID ?? campaigns.first?.id?.uuidString ?? ""
        var indicators: [SelectOption] = []
        if let cid = UUID(uuidString: chosen) {
            indicators = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$position).all().map {
                SelectOption(value: $0.code, label: $0.name, selected: $0.code == values.indicatorCode)
            }
        }
        return try await req.render(
            "questions/form", title: "提问",
            FormBody(
                values: values, errors: errors,
                campaigns: campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == chosen) },
                indicators: indicators))
    }

    @Sendable func new(req: Request) async throws -> View {
        try await form(
            req,
            values: QuestionInput(
                campaignID: req.query[String.self, at: "campaign"], indicatorCode: req.query[String.self, at: "indicator"],
                itemCode: req.query[String.self, at: "item"]),
            errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(QuestionInput.self)
        var created: Question? = nil
        return try await req.submitForm(
            successMessage: "已提交问题，审批局答复后会通知您", redirectTo: "/questions",
            renderForm: { try await form(req, values: input, errors: $0) },
            write: { created = try await QuestionService.ask(input, by: req.caller()) }
        ).redirecting(to: created.flatMap { $0.id.map { "/questions/\($0)" } })
    }

    struct ShowBody: Encodable {
        let q: QuestionDTO
        let indicatorName: String
        let statusName: String
        let replies: [ReplyView]
        let canReply: Bool
        let canAnswer: Bool
        let statuses: [SelectOption]
    }

    struct ReplyView: Encodable {
        let body: String
        let author: String
        let fromBureau: Bool
        let at: String
    }

    @Sendable func show(req: Request) async throws -> View {
        let q = try await QuestionService.find(try req.uuidParameter("questionID"), by: req.caller())
        let user = try req.currentUser()
        try await QuestionService.markRead(q, user: user, now: req.clock.now(), on: req.db)
        let dto = try await QuestionService.dto(q, on: req.db)
        let role = try req.currentRole()
        let name = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == q.$campaign.id)
            .filter(\.$code == q.indicatorCode).first()?.name ?? q.indicatorCode
        return try await req.render(
            "questions/show", title: q.title,
            ShowBody(
                q: dto, indicatorName: name, statusName: q.questionStatus.chineseName,
                replies: dto.replies.map { ReplyView(body: $0.body, author: $0.author, fromBureau: $0.fromBureau, at: DisplayTime.format($0.at)) },
                canReply: q.questionStatus != .closed
                    && (Permissions.allows(role, .answerQuestions) || (Permissions.allows(role, .askQuestions) && q.$unit.id == user.$unit.id)),
                canAnswer: Permissions.allows(role, .answerQuestions),
                statuses: Question.Status.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == q.status) }))
    }

    @Sendable func reply(req: Request) async throws -> Response {
        let q = try await QuestionService.find(try req.uuidParameter("questionID"), by: req.caller())
        let target = SiteURL.question(try q.requireID())
        do {
            try await QuestionService.reply(q, try req.content.decode(ReplyInput.self), by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash(([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "："), kind: "error")
            return req.redirect(to: target)
        }
        req.setFlash("已回复")
        return req.redirect(to: target)
    }

    @Sendable func status(req: Request) async throws -> Response {
        let q = try await QuestionService.find(try req.uuidParameter("questionID"), by: req.caller())
        let target = SiteURL.question(try q.requireID())
        do {
            try await QuestionService.setStatus(q, try req.content.decode(QuestionService.StatusInput.self), by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
            return req.redirect(to: target)
        }
        req.setFlash("已更新")
        return req.redirect(to: target)
    }

    struct NoticeView: Encodable {
        let message: String
        let link: String
        let unread: Bool
        let at: String
    }

    struct DigestLine: Encodable {
        let text: String
        let link: String
    }

    struct NotificationsBody: Encodable {
        let notices: [NoticeView]
        let digest: [DigestLine]
        let today: String
    }

    /// Notifications plus today's digest: what is due today or tomorrow, what is late, what waits for me.
    @Sendable func notifications(req: Request) async throws -> View {
        let user = try req.currentUser()
        let role = try req.currentRole()
        let uid = try user.requireID()
        let notices = try await InAppNotification.query(on: req.db).filter(\.$user.$id == uid).sort(\.$createdAt, .descending).limit(100).all()
        let today = req.clock.today
        var digest: [DigestLine] = []
        for c in try await req.visibleCampaigns().filter(\.$status == Campaign.Status.active.rawValue).all() {
            let cid = try c.requireID()
            let day = min(today, c.end)
            let calendar = try await CalendarDay.workCalendar(on: req.db)
            let names = Dictionary(
                uniqueKeysWithValues: try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).all().map { ($0.code, $0.name) })
            var teams: [String: (lead: UUID?, cooperating: [UUID])] = [:]
            for a in try await Assignment.query(on: req.db).filter(\.$campaign.$id == cid).with(\.$cooperators).all() {
                teams["\(a.$region.id)|\(a.indicatorCode)"] = (a.$leadUnit.id, a.cooperators.map(\.$unit.id))
            }
            let filings = Dictionary(
                uniqueKeysWithValues: try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).all()
                    .map { ("\($0.$region.id)|\($0.indicatorCode)", $0) })
            // The filing schedule concerns those who can open filings (not the security or audit administrator).
            let schedule = Permissions.allows(role, .viewFilings)
                ? try await ScheduleEntry.query(on: req.db).filter(\.$campaign.$id == cid).all() : []
            for e in schedule {
                let key = "\(e.$region.id)|\(e.indicatorCode)"
                if role.isUnitScoped {
                    let team = teams[key]
                    guard Responsibility.concerns(unit: user.$unit.id, lead: team?.lead, cooperating: team?.cooperating ?? []) else { continue }
                }
                let status = filings[key]?.workStatus ?? .notStarted
                guard !status.isHandedIn, let due = Day(e.day) else { continue }
                let name = names[e.indicatorCode] ?? e.indicatorCode
                let link = SiteURL.filing(campaign: cid, indicator: e.indicatorCode, region: e.$region.id)
                let late = try calendar.workdaysLate(due: due, today: day)
                if late > 0 {
                    digest.append(DigestLine(text: "【逾期 \(late) 个工作日】\(name)（应于 \(e.day) 报送）", link: link))
                } else if due == day || due == day.adding(days: 1) {
                    digest.append(DigestLine(text: "【\(due == day ? "今日" : "明日")应报】\(name)", link: link))
                }
            }
            if Permissions.allows(role, .answerQuestions) {
                let waiting = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid)
                    .filter(\.$state == FilingState.unitApproved.rawValue).count()
                if waiting > 0 { digest.append(DigestLine(text: "【待审核】\(waiting) 项填报等待审批局审核", link: "/filings?state=unit_approved")) }
                let open = try await Question.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$status == "open").count()
                if open > 0 { digest.append(DigestLine(text: "【待答疑】\(open) 个问题等待答复", link: "/questions?status=open")) }
            }
        }
        return try await req.render(
            "questions/notifications", title: "通知",
            NotificationsBody(
                notices: notices.map {
                    NoticeView(message: $0.message, link: $0.link, unread: $0.readAt == nil, at: DisplayTime.format($0.createdAt))
                },
                digest: digest.sorted { $0.text < $1.text }, today: today.description))
    }

    @Sendable func markRead(req: Request) async throws -> Response {
        let uid = try req.currentUser().requireID()
        try await InAppNotification.query(on: req.db).filter(\.$user.$id == uid).filter(\.$readAt == nil).set(\.$readAt, to: req.clock.now()).update()
        return req.redirect(to: "/notifications")
    }
}

struct QuestionsAPIController {
    func register(_ g: Guarded) {
        g.get("questions", action: .viewQuestions, use: list)
        g.post("questions", action: .askQuestions, use: create)
        g.get("questions", ":questionID", action: .viewQuestions, use: show)
        g.post("questions", ":questionID", "replies", action: .viewQuestions, use: reply)
        g.get("notifications", action: .viewNotifications, use: notifications)
    }

    @Sendable func list(req: Request) async throws -> [QuestionDTO] {
        var out: [QuestionDTO] = []
        for q in try await QuestionService.visible(
            status: req.query[String.self, at: "status"] ?? "", indicator: req.query[String.self, at: "indicator"] ?? "", by: req.caller())
        {
            out.append(try await QuestionService.dto(q, on: req.db))
        }
        return out
    }

    @Sendable func create(req: Request) async throws -> Response {
        let q = try await QuestionService.ask(try req.content.decode(QuestionInput.self), by: req.caller())
        return try await QuestionService.dto(q, on: req.db).encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> QuestionDTO {
        try await QuestionService.dto(try await QuestionService.find(try req.uuidParameter("questionID"), by: req.caller()), on: req.db)
    }

    @Sendable func reply(req: Request) async throws -> QuestionDTO {
        let q = try await QuestionService.find(try req.uuidParameter("questionID"), by: req.caller())
        try await QuestionService.reply(q, try req.content.decode(ReplyInput.self), by: req.caller())
        return try await QuestionService.dto(q, on: req.db)
    }

    struct NoticeDTO: Content {
        let message: String
        let link: String
        let read: Bool
        let at: Date
    }

    @Sendable func notifications(req: Request) async throws -> [NoticeDTO] {
        let uid = try req.currentUser().requireID()
        return try await InAppNotification.query(on: req.db).filter(\.$user.$id == uid).sort(\.$createdAt, .descending).limit(100).all()
            .map { NoticeDTO(message: $0.message, link: $0.link, read: $0.readAt != nil, at: $0.createdAt) }
    }
}
