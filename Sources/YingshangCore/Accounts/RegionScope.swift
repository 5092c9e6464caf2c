/// Which regions an account may see and change (issue 21: a province on one deployment). An account bound to
/// regions (a province, a city, a county — or several counties for an assessor firm) sees those regions and every
/// region below them; an account bound to none keeps the whole deployment, as a single county's deployment has always
/// worked. Unit-scoped roles are narrowed further by `UnitScope`.
public struct RegionScope: Sendable, Hashable {
    /// The regions in scope; nil means the whole deployment.
    public let regionIDs: Set<String>?

    public static let unrestricted = RegionScope(regionIDs: nil)

    public init(regionIDs: Set<String>?) { self.regionIDs = regionIDs }

    /// The bound regions and their descendants in the region tree (`parents`: region id → parent id).
    /// A region bound but missing from the tree still counts (a scope never widens because a row is missing).
    public init(bound: [String], parents: [String: String?]) {
        guard !bound.isEmpty else {
            self.init(regionIDs: nil)
            return
        }
        var children: [String: [String]] = [:]
        for (id, parent) in parents { if let parent { children[parent, default: []].append(id) } }
        var inScope = Set<String>()
        var stack = bound
        while let id = stack.popLast() {
            guard inScope.insert(id).inserted else { continue }  // a cycle cannot loop
            stack.append(contentsOf: children[id] ?? [])
        }
        self.init(regionIDs: inScope)
    }

    public var isUnrestricted: Bool { regionIDs == nil }

    public func covers(_ regionID: String?) -> Bool {
        guard let regionIDs else { return true }
        guard let regionID else { return false }  // a record of no region belongs to the whole deployment
        return regionIDs.contains(regionID)
    }

    /// How much of a campaign (assessing `campaignRegions`) this scope reaches.
    public func access(campaignRegions: [String]) -> CampaignAccess {
        guard let regionIDs else { return .whole }
        let inside = campaignRegions.filter(regionIDs.contains)
        if inside.isEmpty { return .none }
        return inside.count == campaignRegions.count ? .whole : .part
    }

    /// Whether an account with this scope may bind another account (or itself create something) to `requested`:
    /// only within its own scope; "the whole deployment" only from an unrestricted account.
    public func mayGrant(_ requested: [String]) -> Bool {
        guard regionIDs != nil else { return true }
        return !requested.isEmpty && requested.allSatisfy { covers($0) }
    }

    public enum CampaignAccess: Sendable, Equatable {
        /// None of the campaign's regions: the campaign does not exist for this account (404).
        case none
        /// Some regions: their rows, their scores and rank, not campaign-wide settings or other regions' rows.
        case part
        /// Every region of the campaign.
        case whole
    }

    /// Whether a role may do `action` on a campaign it reaches with `access` (what a page offers and a route allows).
    public static func allows(_ role: Role, _ action: Action, access: CampaignAccess) -> Bool {
        guard Permissions.allows(role, action), access != .none else { return false }
        return access == .whole || !needsWholeCampaign(action)
    }

    /// Actions that change or reveal a campaign as a whole (its settings, register, sample, scoring runs, rules, feed
    /// keys): a county account in a provincial campaign may not do them even when its role allows the action.
    public static func needsWholeCampaign(_ action: Action) -> Bool {
        switch action {
        case .manageCampaigns, .viewRegister, .manageRegister, .drawSamples, .runScoring, .manageScoreRules, .manageFeeds:
            return true
        default:
            return false
        }
    }
}

extension ScoringResult {
    /// The result as an account of `scope` may see it: its own assessed regions with the ranks they earned among all
    /// of them (`assessedCount` unchanged, so "3rd of 12" stays true), the benchmarks, and only its regions' warnings.
    /// A provincial account sees every county; a county account its own row and rank, not its neighbours' scores.
    public func restricted(to scope: RegionScope) -> ScoringResult {
        guard !scope.isUnrestricted else { return self }
        var out = self
        out.regions = regions.filter { $0.isBenchmark || scope.covers($0.id) }
        let hidden = regions.filter { !$0.isBenchmark && !scope.covers($0.id) }.map(\.name)
        out.warnings = warnings.filter { w in !hidden.contains { w.hasPrefix($0 + "「") } }  // Scoring writes 名称「指标」…
        return out
    }
}
