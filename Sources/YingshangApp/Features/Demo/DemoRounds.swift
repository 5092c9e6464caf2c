import Fluent
import Vapor
import YingshangCore

/// 常态化监测 in the demo: after the county's annual evaluation, two quarterly rounds of six indicators filed,
/// accepted and scored (most indicators better in the second), and a third round running with nothing filed yet, so
/// that the trend page, the report's trend and a unit's "rounds it owes" have something to show. Fictional.
enum DemoRounds {
    static let indicators = ["starting_business", "construction_permits", "getting_electricity", "registering_property", "paying_taxes", "government_services"]

    static func load(app: Application) async throws -> Int {
        guard let county = try await Campaign.query(on: app.db).filter(\.$name == DemoCampaign.name).first(),
            let admin = try await User.query(on: app.db).filter(\.$username == "admin").first()
        else { return 0 }
        let cid = try county.requireID()
        guard try await Campaign.query(on: app.db).filter(\.$parentCampaignID == cid).count() == 0 else { return 0 }
        let caller = try app.caller(admin)
        let catalog = try await county.catalog(on: app.db)
        let offered = Set(try await CampaignService.details(county, on: app.db).indicators.map(\.code))
        let codes = indicators.filter(offered.contains)
        var rng = SeededGenerator(seed: 2023)
        var created = 0
        for (number, quality) in [(1, 0.45), (2, 0.3), (3, -1.0)] {
            let round = try await RoundService.create(
                county, RoundInput(period: MonitoringPeriod.quarterly.rawValue, year: county.year + 1, number: number, indicatorCodes: codes),
                by: caller)
            created += 1
            guard quality >= 0 else { continue }  // the third round: running, nothing filed yet
            let rid = try round.requireID()
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == rid).sort(\.$indicatorCode).all() {
                guard let lead = a.$leadUnit.id, let spec = catalog.indicator(a.indicatorCode) else { continue }
                var answers: [String: String] = [:]
                for item in spec.questionnaire {
                    guard let sub = item.subIndicatorCode.flatMap({ code in spec.subIndicators.first { $0.code == code } }) else { continue }
                    answers[item.code] = DemoScoring.value(sub, quality: quality, rng: &rng)
                }
                let f = Filing(campaignID: rid, regionID: a.$region.id, indicatorCode: a.indicatorCode, leadUnitID: lead, by: "filer")
                f.state = FilingState.accepted.rawValue
                f.answers = answers
                f.lastAction = FilingAction.accept.rawValue
                try await f.create(on: app.db)
            }
            try await ScoringService.run(round, by: caller, clock: app.clock, on: app.db)
            round.status = Campaign.Status.closed.rawValue  // filed, verified and scored: done
            try await round.update(on: app.db)
        }
        return created
    }
}
