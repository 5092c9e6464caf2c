import Fluent
import Vapor
import YingshangCore

/// The B-READY-style template in the demo: its ten topics added to the catalog (a new version beside the national
/// 18) and a small 2023 campaign of three topics for 青山县, filed by the units that lead the matching national
/// indicators and scored by pillar. Pillar III here comes from the filed numbers alone (the demo draws no survey for
/// it, so its survey-derived values show as missing). Fictional.
enum DemoBReady {
    static let name = "2023 年度 B-READY 式评价（示例）"
    /// Topic → the national indicator whose lead unit also leads it.
    static let topics: [(code: String, leadLike: String, answers: [String: String])] = [
        ("br_business_entry", "starting_business", ["q1": "是", "q2": "是", "q3": "是", "q4": "部分", "q5": "2.5"]),
        ("br_business_location", "construction_permits", ["q1": "部分", "q2": "是", "q3": "部分", "q4": "否", "q5": "68"]),
        ("br_taxation", "paying_taxes", ["q1": "是", "q2": "部分", "q3": "是", "q4": "是", "q5": "6"]),
    ]

    static func load(app: Application) async throws -> Int {
        guard try await Campaign.query(on: app.db).filter(\.$name == name).first() == nil,
            let county = try await Campaign.query(on: app.db).filter(\.$name == DemoCampaign.name).first(),
            let admin = try await User.query(on: app.db).filter(\.$username == "admin").first()
        else { return 0 }
        _ = try await CatalogService.addBReady(by: nil, clock: app.clock, on: app.db)
        let caller = try app.caller(admin)
        let regions = try await CampaignService.details(county, on: app.db).regionIDs
        let phases = PhasePlan.defaults(year: 2023)
        let campaign = try await CampaignService.create(
            CampaignInput(
                name: name, year: 2023, startDate: phases[0].start.description, endDate: phases[3].end.description, perDay: 2,
                regionIDs: regions.map(\.uuidString), indicatorCodes: topics.map(\.code),
                phases: Dictionary(uniqueKeysWithValues: phases.map {
                    ($0.kind.rawValue, CampaignInput.PhaseInput(start: $0.start.description, end: $0.end.description))
                })),
            by: caller)
        let cid = try campaign.requireID()
        let countyID = try county.requireID()
        for t in topics {
            let like = try await Assignment.query(on: app.db).filter(\.$campaign.$id == countyID).filter(\.$indicatorCode == t.leadLike).first()
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$indicatorCode == t.code).all() {
                a.$leadUnit.id = like?.$leadUnit.id
                try await a.update(on: app.db)
                guard let lead = a.$leadUnit.id else { continue }
                let f = Filing(campaignID: cid, regionID: a.$region.id, indicatorCode: t.code, leadUnitID: lead, by: "filer")
                f.state = FilingState.accepted.rawValue
                f.answers = t.answers
                f.lastAction = FilingAction.accept.rawValue
                try await f.create(on: app.db)
            }
        }
        campaign.status = Campaign.Status.active.rawValue
        try await campaign.update(on: app.db)
        try await ScoringService.run(campaign, by: caller, clock: app.clock, on: app.db)
        return 1
    }
}
