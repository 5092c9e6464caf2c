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

    struct Body: Encodable {
        let greeting: String
        let roleName: String
        let unitName: String
        let cards: [Card]
        let tasks: [String]
    }

    func register(_ g: Guarded) {
        g.get(action: .viewHome, use: index)
    }

    @Sendable func index(req: Request) async throws -> View {
        let user = try req.currentUser()
        let role = try req.currentRole()
        let unit = try await Unit.find(user.$unit.id, on: req.db)
        var cards: [Card] = []
        if Permissions.allows(role, .viewRegions) {
            let n = try await Region.query(on: req.db).filter(\.$level == RegionLevel.township.rawValue).count()
            cards.append(Card(label: "乡镇/街道", value: "\(n)", href: "/regions"))
        }
        if Permissions.allows(role, .viewUnits) && !role.isUnitScoped {
            cards.append(Card(label: "单位", value: "\(try await Unit.query(on: req.db).count())", href: "/units"))
        }
        if Permissions.allows(role, .viewUsers) {
            var q = User.query(on: req.db)
            if role.isUnitScoped { q = q.filter(\.$unit.$id == user.$unit.id) }
            cards.append(Card(label: role.isUnitScoped ? "本单位用户" : "用户", value: "\(try await q.count())", href: "/users"))
        }
        if Permissions.allows(role, .viewScores),
            let run = try await ScoringRun.query(on: req.db).sort(\.$createdAt, .descending).first(),
            let result = try? run.result(), let first = result.assessed.first
        {
            // The newest scoring run: leaders open the one-page overview from here.
            let label = result.assessedCount > 1 ? "最新评分（\(result.assessedCount) 个地区，第 1 名）" : "\(first.name)最新综合得分"
            let best = result.assessed.first { $0.rank == 1 } ?? first
            cards.append(Card(label: label, value: best.overall.map(Scoring.fmt2) ?? "—", href: "/campaigns/\(run.$campaign.id)/overview"))
        }
        if Permissions.allows(role, .respondFlags) {
            // Units find the assessor's flags on their own unit here; the flags page lists them with the deadline.
            let open = try await VerificationFlag.query(on: req.db).filter(\.$unit.$id == user.$unit.id)
                .filter(\.$status == VerificationFlag.Status.open.rawValue).sort(\.$createdAt, .descending).all()
            if let newest = open.first {
                cards.append(Card(label: "待答复的核验问题", value: "\(open.count)", href: "/campaigns/\(newest.$campaign.id)/flags"))
            }
        }
        if Permissions.allows(role, .viewRectifications) {
            var q = Rectification.query(on: req.db).filter(\.$status ~~ [RectificationStatus.planned.rawValue, RectificationStatus.inProgress.rawValue])
            if role.isUnitScoped { q = q.filter(\.$unit.$id == user.$unit.id) }
            let open = try await q.all()
            let today = DispatchService.today()
            let late = open.filter { Day($0.deadline).map { today > $0 } ?? false }.count
            cards.append(Card(label: late > 0 ? "未完成整改（逾期 \(late)）" : "未完成整改", value: "\(open.count)", href: "/rectifications"))
        }
        return try await req.render(
            "home/index", title: "首页",
            Body(
                greeting: user.displayName, roleName: role.chineseName, unitName: unit?.name ?? "", cards: cards,
                tasks: Self.tasks(for: role)))
    }

    /// What each role does in the assessment (REFERENCE.md roles); later issues turn these into live task lists.
    static func tasks(for role: Role) -> [String] {
        switch role {
        case .admin: return ["维护行政区划、单位和用户账户", "查看审计日志，追溯每一次修改"]
        case .coordinator:
            return ["牵头抓总、统筹协调：组织培训、下发填报指引", "每日调度各指标填报进度", "审核各单位填报数据，及时答疑"]
        case .leader: return ["查看全县营商环境考核评价总体进展和结果"]
        case .unitHead: return ["确认本单位牵头、配合的指标", "审核本单位填报数据后报送审批局"]
        case .filer: return ["按填报指引在规定时限内逐项完整填报数据", "上传政策文件和印证资料", "不懂的及时向审批局咨询"]
        case .assessor: return ["导入企业全量名单并按比例抽样", "核验填报数据，编制评价报告"]
        }
    }
}
