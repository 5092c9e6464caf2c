import Fluent
import Vapor
import YingshangCore

/// The records a route names in its path, loaded with the checks that belong to loading them (region scope, own
/// unit). This is the edge between HTTP and the services: it reads path and query parameters and the route's
/// action, then calls a service with ids and a `Caller` — services never take a `Request`.
extension Request {
    /// The caller with its region scope resolved (guarded routes resolve it already; this also covers the others).
    func scopedCaller() async throws -> Caller {
        _ = try await regionScope()
        return try caller()
    }

    /// The campaign in the path, if the account's region scope reaches it (`CampaignService.checkScope`); the access
    /// is kept for `offers`.
    func loadCampaign() async throws -> Campaign {
        guard let c = try await Campaign.find(try uuidParameter(), on: db) else { throw AppError.notFound("评价任务") }
        storage[CampaignAccessKey.self] = try await CampaignService.checkScope(
            c, scope: regionScope(), action: route?.requiredAction, on: db)
        return c
    }

    /// The scope check for a resource of a campaign loaded by its own id (a draw, an import job): as `loadCampaign`,
    /// with the route's action, and the access kept for `offers`.
    func checkCampaignScope(campaignID: UUID) async throws {
        guard let c = try await Campaign.find(campaignID, on: db) else { throw AppError.notFound("评价任务") }
        storage[CampaignAccessKey.self] = try await CampaignService.checkScope(
            c, scope: regionScope(), action: route?.requiredAction, on: db)
    }

    /// The assessed region to show: `?region=` or the first of `regions` (sorted by code) the account reaches.
    func selectedRegion(among regions: [Region]) throws -> Region {
        let reachable = reachable(regions)
        if let raw = query[String.self, at: "region"], let id = UUID(uuidString: raw) {
            guard let r = reachable.first(where: { $0.id == id }) else { throw AppError.notFound("被评价地区") }
            return r
        }
        guard let first = reachable.first else { throw AppError.notFound("被评价地区") }
        return first
    }

    /// `selectedRegion` among a campaign's assessed regions.
    func selectedRegion(of campaign: Campaign) async throws -> Region {
        _ = try await regionScope()
        let cid = try campaign.requireID()
        let ids = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
        return try selectedRegion(among: try await Region.query(on: db).filter(\.$id ~~ ids).sort(\.$code).all())
    }

    func loadFiling() async throws -> Filing {
        guard let f = try await Filing.find(try uuidParameter("filingID"), on: db) else { throw AppError.notFound("填报") }
        try await FilingService.requireView(f, by: scopedCaller())
        return f
    }

    func loadRegion() async throws -> Region {
        guard let region = try await Region.find(try uuidParameter(), on: db) else { throw AppError.notFound("行政区划") }
        return region
    }

    func loadUnit() async throws -> Unit { try await UnitService.find(try uuidParameter(), by: scopedCaller()) }

    func loadScoringRun(of campaign: Campaign) async throws -> ScoringRun {
        guard let run = try await ScoringRun.find(try uuidParameter("runID"), on: db), run.$campaign.id == campaign.id else {
            throw AppError.notFound("评分记录")
        }
        return run
    }

    func loadAssignment(of campaign: Campaign) async throws -> Assignment {
        guard let a = try await Assignment.find(try uuidParameter("assignmentID"), on: db), a.$campaign.id == campaign.id
        else { throw AppError.notFound("指标分工") }
        return a
    }

    func loadTask(of campaign: Campaign) async throws -> CampaignTask {
        try await TaskService.findOwned(try uuidParameter("taskID"), of: campaign, by: scopedCaller())
    }

    func loadRectification() async throws -> Rectification {
        guard let r = try await Rectification.find(try uuidParameter("rid"), on: db) else { throw AppError.notFound("整改事项") }
        try RectificationService.requireAccess(r, by: try await scopedCaller())
        return r
    }

    func loadFlag() async throws -> VerificationFlag {
        try await VerificationService.findFlag(try uuidParameter("flagID"), by: scopedCaller())
    }

    /// The draw in the path, if the account's regions reach its campaign as the route needs: draws are
    /// whole-campaign work, so another region's draw is not found (404) and one of a campaign reached in part is
    /// refused (403), as for the campaign's own sampling pages.
    func loadDraw() async throws -> SampleDraw {
        guard let d = try await SampleDraw.find(try uuidParameter("drawID"), on: db) else { throw AppError.notFound("抽样") }
        try await checkCampaignScope(campaignID: d.$campaign.id)
        return d
    }

    /// The account in the path: to see it on a viewing route, to change it elsewhere.
    func loadUser() async throws -> User {
        try await UserService.find(try uuidParameter(), by: scopedCaller(), forChange: route?.requiredAction != .viewUsers)
    }

    /// An account the actor may change (edit, reset, disable, delete).
    func loadManageableUser() async throws -> User {
        try await UserService.findManageable(try uuidParameter(), by: scopedCaller())
    }

    /// A query over the campaigns the signed-in account's region scope reaches (every list of campaigns starts here).
    func visibleCampaigns() async throws -> QueryBuilder<Campaign> {
        let q = Campaign.query(on: db)
        guard let ids = try await CampaignService.visibleIDs(regionScope(), on: db) else { return q }
        return q.filter(\.$id ~~ ids)
    }
}
