import Fluent
import Vapor
import YingshangCore

/// The home page per role: a greeting, counts the role may see, and what to do next.
struct HomeController {
    struct Card: Encodable {
        let label: String
        let value: String
        let href: String?
    }

    /// One thing this person must do, with how many and where: the top of every home page.
    struct Todo: Encodable {
        let label: String
        let count: Int
        let href: String
        let urgent: Bool
    }

    struct Body: Encodable {
        let greeting: String
        let roleName: String
        let unitName: String
        let todos: [Todo]
        let cards: [Card]
        let tasks: [String]
        /// A unit's running monitoring rounds and what it still owes in each.
        let rounds: [RoundService.Owed]
    }

    func register(_ g: Guarded) {
        g.get(action: .viewHome, use: index)
    }

    /// What the home page counts for one account: the same until an audited change or the next day.
    struct Summary: Sendable {
        let unitName: String
        let todos: [Todo]
        let cards: [Card]
        let rounds: [RoundService.Owed]
    }

    struct SummaryKey: Hashable, Sendable {
        let user: UUID
        let role: Role
        let scope: RegionScope
        let revision: Int
        let today: String
    }

    /// A rendered home page is the same for an account until its counts, its unread count or the language change,
    /// apart from the CSRF token and the CSP nonce: kept as a skeleton under those.
    struct PageKey: Hashable, Sendable {
        let summary: SummaryKey
        let unread: Int
        let lang: String
    }

    @Sendable func index(req: Request) async throws -> Response {
        let user = try req.currentUser()
        let role = try req.currentRole()
        var layout = try await req.layout(title: "首页")
        // Fifteen counting queries made the home page the slowest signed-in page; one read of the audit revision
        // (with the layout's) tells whether anything counted here can have changed since this account's last view.
        let key = SummaryKey(
            user: try user.requireID(), role: role, scope: req.resolvedRegionScope, revision: try await req.auditRevision(),
            today: req.clock.today.description)
        let now = req.clock.now()
        let caches = req.application.pageCaches
        // A page with a message for this visit, or any query (?lang=), is rendered for the visit.
        let pageKey = layout.flash == nil && req.url.query == nil ? PageKey(summary: key, unread: layout.unreadNotifications, lang: layout.lang) : nil
        let filled: [PageSkeleton.Marker: String] = [.csrf: layout.csrf, .nonce: layout.nonce]
        if let pageKey, let skeleton = caches.homePages.get(pageKey, now: now) {
            return PageSkeleton.html(skeleton.fill(filled, allocator: req.byteBufferAllocator))
        }
        let summary: Summary
        if let hit = caches.home.get(key, now: now) {
            summary = hit
        } else {
            summary = try await Self.summary(req, user: user, role: role)
            caches.home.put(key, summary, now: now)
        }
        let body = Body(
            greeting: user.displayName, roleName: role.chineseName, unitName: summary.unitName, todos: summary.todos,
            cards: summary.cards, tasks: Self.tasks(for: role), rounds: summary.rounds)
        guard let pageKey else { return try await req.view.render("home/index", Page(layout: layout, body: body)).encodeResponse(for: req) }
        let m = PageSkeleton.Markers()
        layout.csrf = m.text(.csrf)
        layout.nonce = m.text(.nonce)
        let skeleton = PageSkeleton(rendered: try await req.view.render("home/index", Page(layout: layout, body: body)).data, markers: m)
        caches.homePages.put(pageKey, skeleton, now: now)
        return PageSkeleton.html(skeleton.fill(filled, allocator: req.byteBufferAllocator))
    }

    static func summary(_ req: Request, user: User, role: Role) async throws -> Summary {
        let unit = try await Unit.find(user.$unit.id, on: req.db)
        var cards: [Card] = []
        let rounds = role.isUnitScoped && Permissions.allows(role, .editFilings)
            ? try await RoundService.owed(unit: user.$unit.id, scope: req.resolvedRegionScope, today: req.clock.today, on: req.db) : []
        let todos = try await Self.todos(user: user, role: role, scope: req.resolvedRegionScope, clock: req.clock, rounds: rounds, on: req.db)
        if role == .admin {
            let n = try await Region.query(on: req.db).filter(\.$level == RegionLevel.township.rawValue).count()
            cards.append(Card(label: "乡镇/街道", value: "\(n)", href: "/regions"))
        }
        // Each card counts what its list shows: the units list is the whole deployment's, the users list a
        // region-bound account's regions' (`UserService.search`).
        if Permissions.allows(role, .viewUnits) && !role.isUnitScoped {
            cards.append(Card(label: "单位", value: "\(try await Unit.query(on: req.db).count())", href: "/units"))
        }
        if Permissions.allows(role, .viewUsers) {
            var q = User.query(on: req.db)
            if role.isUnitScoped {
                q = q.filter(\.$unit.$id == user.$unit.id)
            } else if let unitsInReach = try await RegionScopes.unitIDs(req.resolvedRegionScope, on: req.db) {
                q = q.filter(\.$unit.$id ~~ unitsInReach)
            }
            cards.append(Card(label: role.isUnitScoped ? "本单位用户" : "用户", value: "\(try await q.count())", href: "/users"))
        }
        if Permissions.allows(role, .viewScores),
            let run = try await ScoringRun.query(on: req.db).field(\.$id).field(\.$campaign.$id).field(\.$createdAt)
                .within(campaigns: CampaignService.visibleIDs(req.regionScope(), on: req.db)).sort(\.$createdAt, .descending).first(),
            let result = try await Self.result(of: run, on: req.db)?.restricted(to: req.regionScope()), let first = result.assessed.first
        {
            // The newest scoring run: leaders open the one-page overview from here.
            let label = result.assessedCount > 1 ? "最新评分（\(result.assessedCount) 个地区，第 1 名）" : "\(first.name)最新综合得分"
            let best = result.assessed.first { $0.rank == 1 } ?? first
            cards.append(Card(label: label, value: best.overall.map(Scoring.fmt2) ?? "—", href: SiteURL.campaign(run.$campaign.id, .overview)))
        }
        if Permissions.allows(role, .respondFlags) {
            // Units find the assessor's flags on their own unit here; the flags page lists them with the deadline.
            let open = try await VerificationFlag.query(on: req.db).filter(\.$unit.$id == user.$unit.id)
                .filter(\.$status == VerificationFlag.Status.open.rawValue).sort(\.$createdAt, .descending).all()
            if let newest = open.first {
                cards.append(Card(label: "待答复的核验问题", value: "\(open.count)", href: SiteURL.campaign(newest.$campaign.id, .flags)))
            }
        }
        if Permissions.allows(role, .viewRectifications) {
            var q = Rectification.query(on: req.db).filter(\.$status ~~ RectificationStatus.open.map(\.rawValue))
            if role.isUnitScoped { q = q.filter(\.$unit.$id == user.$unit.id) }
            if let regions = RegionScopes.ids(req.resolvedRegionScope) { q = q.filter(\.$region.$id ~~ regions) }
            let open = try await q.all()
            let today = req.clock.today
            let late = open.filter { $0.isOverdue(today: today) }.count
            cards.append(Card(label: late > 0 ? "未完成整改（逾期 \(late)）" : "未完成整改", value: "\(open.count)", href: "/rectifications"))
        }
        return Summary(unitName: unit?.name ?? "", todos: todos, cards: cards, rounds: rounds)
    }

    /// The newest run's result: from this instance's cache, else the run's stored documents (hundreds of KB, which
    /// the home page does not load on every view).
    static func result(of run: ScoringRun, on db: any Database) async throws -> ScoringResult? {
        guard let id = run.id else { return nil }
        if let hit = DecodedResults.shared.cached(id) { return hit }
        return try await ScoringRun.find(id, on: db).flatMap { try? $0.result() }
    }

    /// What this person must do today, by role, each with a count and the page where it is done. Empty rows are
    /// left out, so an empty list really means nothing is waiting.
    static func todos(
        user: User, role: Role, scope: RegionScope = .unrestricted, clock: AppClock, rounds: [RoundService.Owed] = [], on db: any Database
    ) async throws -> [Todo] {
        var out: [Todo] = []
        let unit = user.$unit.id
        let today = clock.today
        func add(_ label: String, _ count: Int, _ href: String, urgent: Bool = false) {
            if count > 0 { out.append(Todo(label: label, count: count, href: href, urgent: urgent)) }
        }
        var active = try await Campaign.query(on: db).filter(\.$status == Campaign.Status.active.rawValue).all().compactMap(\.id)
        // A region-bound account counts only its regions' rows.
        let regions = RegionScopes.ids(scope)
        if let visible = try await CampaignService.visibleIDs(scope, on: db) { active = active.filter(visible.contains) }
        func inScope<M: Model>(_ q: QueryBuilder<M>, _ key: KeyPath<M, ParentProperty<M, Region>>) -> QueryBuilder<M> {
            guard let regions else { return q }
            return q.filter(key.appending(path: \.$id) ~~ regions)
        }
        // Counted in the database: loading every filing with its answers was most of a home page's time.
        func awaitingBureau() async throws -> Int {
            active.isEmpty ? 0 : try await inScope(Filing.query(on: db), \.$region).filter(\.$campaign.$id ~~ active)
                .filter(\.$state == FilingState.unitApproved.rawValue).count()
        }
        switch role {
        case .filer, .unitHead:
            // This unit's filings, without their answers.
            let mine = active.isEmpty ? [] : try await Filing.query(on: db).filter(\.$campaign.$id ~~ active).filter(\.$leadUnit.$id == unit)
                .field(\.$id).field(\.$campaign.$id).field(\.$region.$id).field(\.$indicatorCode).field(\.$leadUnit.$id)
                .field(\.$state).field(\.$lastReason).all()
            add("被退回、待修改的填报", mine.filter { $0.filingState == .draft && $0.lastReason?.isEmpty == false }.count, "/filings?state=draft", urgent: true)
            add("填写中、尚未提交的填报", mine.filter { $0.filingState == .draft && ($0.lastReason ?? "").isEmpty }.count, "/filings?state=draft")
            if role == .unitHead {
                add("待本单位审核的填报", mine.filter { $0.filingState == .submitted }.count, "/filings?state=submitted", urgent: true)
                let unconfirmed = try await Assignment.query(on: db).filter(\.$campaign.$id ~~ active).filter(\.$leadUnit.$id == unit)
                    .filter(\.$leadConfirmedAt == nil).count()
                add("待确认的牵头指标", unconfirmed, active.first.map { SiteURL.campaign($0, .matrix) } ?? "/campaigns")
            }
            // Only what is due by today matters here; a county's whole schedule is thousands of rows.
            let due = try await ScheduleEntry.query(on: db).filter(\.$campaign.$id ~~ active).filter(\.$day <= today.description).all()
            let assignments = try await Assignment.query(on: db).filter(\.$campaign.$id ~~ active).filter(\.$leadUnit.$id == unit).all()
            let leads = Set(assignments.map { "\($0.$campaign.id)|\($0.$region.id)|\($0.indicatorCode)" })
            let handedIn = Set(mine.filter { $0.filingState != .draft }.map { "\($0.$campaign.id)|\($0.$region.id)|\($0.indicatorCode)" })
            let open = due.filter { leads.contains("\($0.$campaign.id)|\($0.$region.id)|\($0.indicatorCode)") }
                .filter { !handedIn.contains("\($0.$campaign.id)|\($0.$region.id)|\($0.indicatorCode)") }
            add("今天应报送的指标", open.filter { $0.day == today.description }.count, "/filings", urgent: true)
            add("监测轮次中尚未报送的指标", rounds.reduce(0) { $0 + $1.owed }, "/#rounds", urgent: rounds.contains { $0.urgent })
            add("已过应报日期仍未报送的指标", open.filter { ($0.day < today.description) }.count, "/filings", urgent: true)
            let flags = try await VerificationFlag.query(on: db).filter(\.$unit.$id == unit)
                .filter(\.$status == VerificationFlag.Status.open.rawValue).all()
            add("待答复的核验问题", flags.count, flags.first.map { SiteURL.campaign($0.$campaign.id, .flags) } ?? "/campaigns", urgent: true)
            let rects = try await Rectification.query(on: db).filter(\.$unit.$id == unit)
                .filter(\.$status ~~ RectificationStatus.open.map(\.rawValue)).all()
            add("逾期的整改事项", rects.filter { $0.isOverdue(today: today) }.count,
                "/rectifications?overdue=1", urgent: true)
            add("未完成的整改事项", rects.count, "/rectifications")
        case .coordinator, .admin:
            add("待审批局审核的填报", try await awaitingBureau(), "/filings?state=unit_approved", urgent: true)
            var questions = Question.query(on: db).filter(\.$status == Question.Status.open.rawValue)
            if let units = try await RegionScopes.unitIDs(scope, on: db) { questions = questions.filter(\.$unit.$id ~~ units) }
            add("待答复的提问", try await questions.count(), "/questions", urgent: true)
            add("待核验销号的整改事项", try await inScope(Rectification.query(on: db), \.$region).filter(\.$status == RectificationStatus.done.rawValue).count(),
                "/rectifications?status=done")
            add("待审批的整改时限调整", try await inScope(Rectification.query(on: db), \.$region).filter(\.$requestedDeadline != nil).count(), "/rectifications")
            if role == .admin {
                add("被锁定的账户", try await User.query(on: db).filter(\.$lockedUntil > clock.now()).count(), "/users", urgent: true)
            }
        case .leader:
            let rects = try await inScope(Rectification.query(on: db), \.$region)
                .filter(\.$status ~~ RectificationStatus.open.map(\.rawValue)).all()
            add("逾期的整改事项", rects.filter { $0.isOverdue(today: today) }.count, "/rectifications?overdue=1", urgent: true)
            add("待审批局审核的填报", try await awaitingBureau(), "/filings?state=unit_approved")
        case .securityAdmin:
            add("被锁定的账户", try await User.query(on: db).filter(\.$lockedUntil > clock.now()).count(), "/users", urgent: true)
        case .auditAdmin:
            break
        case .assessor:
            let flags = try await inScope(VerificationFlag.query(on: db), \.$region).filter(\.$status == VerificationFlag.Status.open.rawValue).all()
            add("待确认或排除的核验问题", flags.count, flags.first.map { SiteURL.campaign($0.$campaign.id, .flags) } ?? "/campaigns", urgent: true)
            add("评价任务（名单、抽样、问卷）", active.count, "/campaigns")
        }
        return out
    }

    /// What each role does in the assessment (REFERENCE.md roles); later issues turn these into live task lists.
    static func tasks(for role: Role) -> [String] {
        switch role {
        case .admin: return ["维护行政区划、单位和用户账户（角色调整由安全管理员负责）"]
        case .securityAdmin: return ["授予、调整和收回用户角色", "设置密码锁定和会话超时策略"]
        case .auditAdmin: return ["查看和导出审计日志，追溯每一次修改", "定期运行审计链校验（yingshang audit verify）"]
        case .coordinator:
            return ["牵头抓总、统筹协调：组织培训、下发填报指引", "每日调度各指标填报进度", "审核各单位填报数据，及时答疑"]
        case .leader: return ["查看全县营商环境考核评价总体进展和结果"]
        case .unitHead: return ["确认本单位牵头、配合的指标", "审核本单位填报数据后报送审批局"]
        case .filer: return ["按填报指引在规定时限内逐项完整填报数据", "上传政策文件和印证资料", "不懂的及时向审批局咨询"]
        case .assessor: return ["导入企业全量名单并按比例抽样", "核验填报数据，编制评价报告"]
        }
    }
}

extension QueryBuilder where Model == ScoringRun {
    /// Runs of the given campaigns only; all runs when nil (an unrestricted account).
    func within(campaigns ids: [UUID]?) -> Self {
        guard let ids else { return self }
        return filter(\.$campaign.$id ~~ ids)
    }
}
