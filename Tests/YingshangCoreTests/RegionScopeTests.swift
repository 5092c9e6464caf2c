import Testing
@testable import YingshangCore

/// A province P with cities C1 (counties K1, K2; K1 has township T1) and C2 (county K3).
@Suite("Region scope")
struct RegionScopeTests {
    static let parents: [String: String?] = [
        "P": nil, "C1": "P", "C2": "P", "K1": "C1", "K2": "C1", "K3": "C2", "T1": "K1",
    ]

    @Test("a bound region reaches its descendants and nothing else")
    func descendants() {
        let city = RegionScope(bound: ["C1"], parents: Self.parents)
        #expect(city.regionIDs == ["C1", "K1", "K2", "T1"])
        #expect(city.covers("T1"))
        #expect(!city.covers("P"))
        #expect(!city.covers("K3"))
        #expect(!city.covers(nil), "a record of no region belongs to the whole deployment")
        let province = RegionScope(bound: ["P"], parents: Self.parents)
        #expect(province.regionIDs?.count == 7)
        let county = RegionScope(bound: ["K3"], parents: Self.parents)
        #expect(county.regionIDs == ["K3"])
    }

    @Test("no bound region means the whole deployment; several bound regions are a union")
    func unionAndUnrestricted() {
        let none = RegionScope(bound: [], parents: Self.parents)
        #expect(none.isUnrestricted)
        #expect(none.covers(nil))
        #expect(none.access(campaignRegions: ["K1", "K3"]) == .whole)
        let firm = RegionScope(bound: ["K1", "K3"], parents: Self.parents)
        #expect(firm.regionIDs == ["K1", "T1", "K3"])
        #expect(firm.access(campaignRegions: ["K1", "K2", "K3"]) == .part)
        #expect(firm.access(campaignRegions: ["K3", "K1"]) == .whole)
    }

    @Test("campaign access: none, part or whole")
    func campaignAccess() {
        let k1 = RegionScope(bound: ["K1"], parents: Self.parents)
        #expect(k1.access(campaignRegions: ["K1", "K2", "K3"]) == .part)
        #expect(k1.access(campaignRegions: ["K1"]) == .whole)
        #expect(k1.access(campaignRegions: ["K2"]) == .none)
        #expect(k1.access(campaignRegions: []) == .none, "a campaign of no region is nobody's part")
    }

    @Test("a bound account grants only regions inside its own scope")
    func granting() {
        let city = RegionScope(bound: ["C1"], parents: Self.parents)
        #expect(city.mayGrant(["K2"]))
        #expect(city.mayGrant(["K1", "K2"]))
        #expect(!city.mayGrant(["K3"]))
        #expect(!city.mayGrant(["K1", "K3"]))
        #expect(!city.mayGrant([]), "a city account cannot create a deployment-wide account")
        #expect(RegionScope.unrestricted.mayGrant([]))
    }

    @Test("a cycle in bad data does not loop or widen the scope")
    func cycle() {
        let s = RegionScope(bound: ["A"], parents: ["A": "B", "B": "A", "X": nil])
        #expect(s.regionIDs == ["A", "B"])
    }

    @Test("whole-campaign actions")
    func wholeCampaign() {
        #expect(RegionScope.needsWholeCampaign(.runScoring))
        #expect(RegionScope.needsWholeCampaign(.manageCampaigns))
        #expect(RegionScope.needsWholeCampaign(.drawSamples))
        #expect(!RegionScope.needsWholeCampaign(.viewScores))
        #expect(!RegionScope.needsWholeCampaign(.viewFilings))
        #expect(!RegionScope.needsWholeCampaign(.manageVerification))
    }
}

@Suite("Scores seen through a region scope")
struct RestrictedResultTests {
    static func region(_ id: String, _ name: String, rank: Int?, benchmark: Bool = false) -> RegionScore {
        RegionScore(id: id, name: name, isBenchmark: benchmark, overall: rank.map { 100 - Double($0) }, rank: rank, indicators: [])
    }

    @Test("a county sees its own row with the rank it earned among all, the benchmarks, and its own warnings")
    func county() {
        let full = ScoringResult(
            regions: [Self.region("K1", "甲县", rank: 2), Self.region("K2", "乙县", rank: 1), Self.region("K3", "甲县东", rank: 3),
                      Self.region("B", "对标市", rank: nil, benchmark: true)],
            warnings: ["甲县「开办企业」未填报或无可评分数据，未计入总分", "乙县「纳税」未填报或无可评分数据，未计入总分",
                       "甲县东「获得电力」未填报，未计分"],
            assessedCount: 3)
        let k1 = RegionScope(bound: ["K1"], parents: RegionScopeTests.parents)
        let seen = full.restricted(to: k1)
        #expect(seen.regions.map(\.id) == ["K1", "B"])
        #expect(seen.regions.first?.rank == 2)
        #expect(seen.assessedCount == 3)
        #expect(seen.warnings == ["甲县「开办企业」未填报或无可评分数据，未计入总分"])
        #expect(full.restricted(to: .unrestricted) == full)
    }
}

@Suite("答疑 seen through a region scope")
struct QuestionAccessTests {
    let county = RegionScope(regionIDs: ["county-a"])

    func read(_ role: Role, own: String = "u1", scope: RegionScope, unit: String, region: String?, isPublic: Bool = false) -> Bool {
        QuestionAccess.canRead(role: role, ownUnit: own, scope: scope, askingUnit: unit, askingUnitRegion: region, isPublic: isPublic)
    }

    @Test("an office reads threads of units in its regions, public or not; a unit its own and the FAQ in reach; a unit of no region only unbound accounts")
    func rule() {
        #expect(read(.coordinator, scope: county, unit: "u9", region: "county-a"))
        #expect(!read(.coordinator, scope: county, unit: "u9", region: "county-b"))
        #expect(!read(.coordinator, scope: county, unit: "u9", region: "county-b", isPublic: true))
        #expect(!read(.coordinator, scope: county, unit: "u9", region: nil))
        #expect(read(.coordinator, scope: .unrestricted, unit: "u9", region: nil))
        #expect(read(.filer, scope: .unrestricted, unit: "u1", region: "county-b"))
        #expect(!read(.filer, scope: .unrestricted, unit: "u2", region: "county-a"))
        #expect(read(.filer, scope: .unrestricted, unit: "u2", region: "county-b", isPublic: true))
        #expect(!read(.filer, scope: county, unit: "u2", region: "county-b", isPublic: true))
        #expect(read(.filer, scope: county, unit: "u2", region: "county-a", isPublic: true))
    }
}
