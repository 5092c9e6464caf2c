import Fluent
import Vapor
import YingshangCore

/// Scoring data for the demo: accepted filings for most indicators of the county campaign, a provincial benchmark,
/// bonus/deduction rules, and a city campaign that ranks 8 counties on verified values. Idempotent.
enum DemoScoring {
    static let cityCode = "379900"
    static let cityName = "青山市"
    static let cityCampaignName = "2022 年度青山市县域营商环境评价（8 县示例）"
    static let counties: [(String, String)] = [
        ("370791", "东湖县"), ("370792", "西岭县"), ("370793", "南川县"), ("370794", "北塬县"), ("370795", "临河县"),
        ("370796", "石门县"), ("370797", "云台县"),
    ]
    /// Indicators left unfiled in the county demo, so the scoring run lists them as 未填报.
    static let unfiled: Set<String> = ["enforcing_contracts", "inclusive_innovation"]
    static let cityIndicators = ["starting_business", "construction_permits", "getting_electricity", "registering_property", "paying_taxes", "government_services"]

    static func load(app: Application) async throws -> Int {
        var created = 0
        guard let version = try await CatalogService.current(on: app.db) else { return 0 }
        let catalog = try version.catalog()
        if let county = try await Campaign.query(on: app.db).filter(\.$name == DemoCampaign.name).first() {
            created += try await countyData(county, catalog: catalog, on: app.db)
            created += try await thresholds(county, on: app.db)
            created += try await previousYear(county, on: app.db)
        }
        if try await Campaign.query(on: app.db).filter(\.$name == cityCampaignName).first() == nil {
            created += try await cityCampaign(catalog: catalog, versionID: try version.requireID(), on: app.db)
        }
        created += try await library(on: app.db)
        return created
    }

    /// 预警值 60 and 先进值 90 for every indicator of the county campaign, as many provincial tables set them.
    static func thresholds(_ campaign: Campaign, on db: any Database) async throws -> Int {
        let cid = try campaign.requireID()
        guard try await ScoreThresholdSet.query(on: db).filter(\.$campaign.$id == cid).count() == 0 else { return 0 }
        let codes = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == cid).all().map(\.code)
        let set = ScoreThresholdSet()
        set.$campaign.id = cid
        set.linesJSON = String(decoding: try JSONEncoder().encode(codes.map { ScoreThreshold(indicatorCode: $0, warning: 60, advanced: 90) }), as: UTF8.self)
        set.updatedBy = "system"
        set.updatedAt = Date()
        try await set.create(on: db)
        return 1
    }

    static let previousYearName = "2021 年度县域营商环境评价（示例）"

    /// Last year's campaign, closed and scored, so that the report's comparison and the leaders' board have a year
    /// to compare with: this year's inputs with the filed numbers moved by a fixed pattern (some better, some worse),
    /// scored against the same frontier values. Fictional like the rest of the demo.
    static func previousYear(_ county: Campaign, on db: any Database) async throws -> Int {
        guard county.previousCampaignID == nil,
              try await Campaign.query(on: db).filter(\.$name == previousYearName).first() == nil else { return 0 }
        let details = try await CampaignService.details(county, on: db)
        let last = Campaign(
            name: previousYearName, year: county.year - 1, catalogVersionID: county.$catalogVersion.id,
            start: YearOverYear.shift(county.start, years: -1), end: YearOverYear.shift(county.end, years: -1), perDay: county.perDay)
        last.status = Campaign.Status.closed.rawValue
        var inputs = try await ScoringService.collectInputs(county, on: db)
        let factors = [1.15, 0.9, 1.3, 1.0, 0.85, 1.2, 0.95]
        var k = 0
        for r in inputs.regions.indices where !inputs.regions[r].isBenchmark {
            for i in inputs.regions[r].indicators.indices {
                for s in inputs.regions[r].indicators[i].subIndicators.indices {
                    var sub = inputs.regions[r].indicators[i].subIndicators[s]
                    guard sub.kind == .number, sub.source != .survey, let v = sub.value.flatMap({ Double($0) }) else { continue }
                    sub.value = Scoring.fmt2(v * factors[k % factors.count])
                    k += 1
                    inputs.regions[r].indicators[i].subIndicators[s] = sub
                }
            }
        }
        let result = try Scoring.run(inputs)
        let moved = inputs
        try await db.transaction { db in
            try await last.create(on: db)
            let lid = try last.requireID()
            for region in details.regionIDs { try await CampaignRegion(campaignID: lid, regionID: region).create(on: db) }
            for ind in details.indicators {
                try await CampaignIndicator(campaignID: lid, code: ind.code, name: ind.name, position: ind.position).create(on: db)
            }
            for p in YearOverYear.shift(details.phases, years: -1) { try await CampaignPhase(campaignID: lid, span: p).create(on: db) }
            try await ScoringRun(campaignID: lid, number: 1, inputs: moved, result: result, by: "assessor").create(on: db)
            county.previousCampaignID = lid
            try await county.update(on: db)
        }
        return 1
    }

    /// Policies waiting to be published and two best practices (one curated and public, one awaiting review).
    static func library(on db: any Database) async throws -> Int {
        guard try await Policy.query(on: db).count() == 0, let scjg = try await Unit.query(on: db).filter(\.$code == "SCJG").first()?.id else { return 0 }
        let policies: [(String, String, String, String, String)] = [
            ("青山县持续优化营商环境若干措施", "青政发〔2022〕8号", "青山县人民政府", "2022-05-16", "starting_business,construction_permits,getting_electricity,government_services"),
            ("青山县企业开办“一网通办”实施方案", "青政办发〔2022〕15号", "青山县人民政府办公室", "2022-06-20", "starting_business"),
            ("青山县工程建设项目审批制度改革实施细则", "青住建发〔2022〕21号", "青山县住房和城乡建设局", "2022-07-08", "construction_permits"),
        ]
        let practices: [(String, String, String, String, String, Bool)] = [
            ("企业开办“一窗受理、一日办结”", "starting_business", "设立登记、公章刻制、发票申领、社保登记、公积金登记在政务服务中心一个窗口受理，信息一次采集、部门共享。",
             "1. 设置企业开办专区\n2. 刻章、发票费用由财政承担\n3. 银行开户预约纳入一网通办", "企业开办时间由 3 个工作日压缩至 0.5 个工作日，全年免费刻章 2,300 余枚。", true),
            ("水电气网联合报装", "getting_electricity", "用电、用水、用气、宽带报装一表申请、联合踏勘、同步接入。", "1. 联合报装窗口\n2. 外线工程并联审批", "小微企业接电时间压缩至 8 个工作日。", false),
        ]
        return try await db.transaction { db in
            for (title, number, body, day, codes) in policies {
                let p = Policy()
                p.title = title
                p.docNumber = number
                p.issuingBody = body
                p.issuedOn = day
                p.indicators = codes
                p.fullText = "第一条 为深入贯彻落实《优化营商环境条例》，结合本县实际，制定本文件。\n第二条 ……（示例全文）"
                p.published = false
                p.createdBy = "coordinator"
                try await p.create(on: db)
            }
            for (title, code, description, measures, results, curated) in practices {
                let b = BestPractice()
                b.title = title
                b.indicatorCode = code
                b.regionName = DemoCounty.countyName
                b.description = description
                b.measures = measures
                b.results = results
                b.tags = curated ? "一网通办,企业开办" : "联合报装"
                b.status = (curated ? BestPractice.Status.curated : .submitted).rawValue
                b.published = curated
                b.replicate = false
                b.$unit.id = scjg
                b.submittedBy = "filer"
                try await b.create(on: db)
            }
            return policies.count + practices.count
        }
    }

    /// A filed value for a sub-indicator: `quality` 0 (frontier) … 1 (worst), rounded the way people fill it in.
    static func value(_ sub: SubIndicatorSpec, quality: Double, rng: inout SeededGenerator) -> String {
        switch sub.kind {
        case .number:
            guard let b = sub.best, let w = sub.worst else { return "0" }
            let q = min(1, max(0, quality + Double.random(in: -0.08...0.08, using: &rng)))
            let v = b + (w - b) * q
            switch sub.unit {
            case "工作日": return String(format: "%.1f", v)
            case "%": return String(format: "%.1f", v)
            default: return String(Int(v.rounded()))
            }
        case .yesNo: return Double.random(in: 0...1, using: &rng) < 1 - quality * 0.6 ? "是" : "否"
        case .choice: return sub.options.first?.label ?? ""
        case .text: return "详见印证资料"
        }
    }

    static func countyData(_ campaign: Campaign, catalog: Catalog, on db: any Database) async throws -> Int {
        let cid = try campaign.requireID()
        guard try await Filing.query(on: db).filter(\.$campaign.$id == cid).count() == 0 else { return 0 }
        let assignments = try await Assignment.query(on: db).filter(\.$campaign.$id == cid).all()
        var days: [String: String] = [:]
        for e in try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == cid).all() { days[e.indicatorCode] = e.day }
        let schedule = days
        return try await db.transaction { db in
            var rng = SeededGenerator(seed: 370799)
            var created = 0
            for (i, a) in assignments.sorted(by: { $0.indicatorCode < $1.indicatorCode }).enumerated() {
                guard !unfiled.contains(a.indicatorCode), let lead = a.$leadUnit.id, let spec = catalog.indicator(a.indicatorCode) else { continue }
                let quality = [0.15, 0.3, 0.45, 0.6][i % 4]
                var answers: [String: String] = [:]
                for item in spec.questionnaire {
                    let sub = item.subIndicatorCode.flatMap { code in spec.subIndicators.first { $0.code == code } }
                    answers[item.code] = sub.map { value($0, quality: quality, rng: &rng) } ?? DemoCounty.freeAnswer(item, steps: answers["q1"])
                }
                let f = Filing(campaignID: cid, regionID: a.$region.id, indicatorCode: a.indicatorCode, leadUnitID: lead, by: "filer")
                f.state = FilingState.accepted.rawValue
                f.answers = answers
                f.version = 4
                f.lastAction = FilingAction.accept.rawValue
                try await f.create(on: db)
                let fid = try f.requireID()
                // Handed in on the scheduled day, two of them a few working days late.
                var submitted = schedule[a.indicatorCode].flatMap(Day.init) ?? campaign.start
                if i % 7 == 3 { submitted = submitted.adding(days: 3) }
                let at = DemoScoring.noonShanghai(submitted)
                for (action, from, to) in [("submit", "draft", "submitted"), ("approve", "submitted", "unit_approved"), ("accept", "unit_approved", "accepted")] {
                    let e = FilingEvent(filingID: fid, action: action, from: from, to: to, reason: nil, actor: action == "submit" ? "filer" : "coordinator", at: at)
                    try await e.create(on: db)
                }
                created += 1
            }
            for ind in catalog.indicators {
                for sub in ind.subIndicators where sub.kind != .text {
                    let v = sub.kind == .yesNo ? "是" : value(sub, quality: 0.02, rng: &rng)
                    try await BenchmarkValue(campaignID: cid, benchmark: "省内最优县", indicatorCode: ind.code, subCode: sub.code, value: v).create(on: db)
                }
            }
            let rules = RuleSet(
                rules: [
                    AdjustmentRule(kind: .lateFilingPerDay, points: 0.5), AdjustmentRule(kind: .falsificationPerFlag, points: 3),
                ], cooperatingShare: 0.5)
            try await ScoreRuleSet(campaignID: cid, rules: rules, by: "coordinator").create(on: db)
            return created
        }
    }

    static func noonShanghai(_ day: Day) -> Date { AppClock.noon(day) }


    static func cityCampaign(catalog: Catalog, versionID: UUID, on db: any Database) async throws -> Int {
        return try await db.transaction { db in
            var rng = SeededGenerator(seed: 379900)
            var created = 0
            let city: Region
            if let existing = try await Region.query(on: db).filter(\.$code == cityCode).first() {
                city = existing
            } else {
                city = Region(code: cityCode, name: cityName, level: .city, parentID: nil)
                try await city.create(on: db)
                created += 1
            }
            var regions: [Region] = []
            if let home = try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first() { regions.append(home) }
            for (code, name) in counties {
                if let existing = try await Region.query(on: db).filter(\.$code == code).first() {
                    regions.append(existing)
                } else {
                    let r = Region(code: code, name: name, level: .county, parentID: city.id)
                    try await r.create(on: db)
                    regions.append(r)
                    created += 1
                }
            }
            let phases = PhasePlan.defaults(year: 2022)
            let campaign = Campaign(name: cityCampaignName, year: 2022, catalogVersionID: versionID, start: phases[0].start, end: phases[3].end, perDay: 2)
            campaign.status = Campaign.Status.active.rawValue
            try await campaign.create(on: db)
            let cid = try campaign.requireID()
            for p in phases { try await CampaignPhase(campaignID: cid, span: p).create(on: db) }
            let picked = cityIndicators.compactMap { catalog.indicator($0) }
            for (i, ind) in picked.enumerated() {
                try await CampaignIndicator(campaignID: cid, code: ind.code, name: ind.nameZh, position: i).create(on: db)
            }
            // Counties differ in overall quality, and each indicator varies around it.
            let qualities = [0.25, 0.1, 0.4, 0.55, 0.3, 0.7, 0.2, 0.45]
            for (k, region) in regions.enumerated() {
                let rid = try region.requireID()
                try await CampaignRegion(campaignID: cid, regionID: rid).create(on: db)
                for ind in picked {
                    let q = qualities[k % qualities.count] + Double.random(in: -0.15...0.15, using: &rng)
                    for sub in ind.subIndicators where sub.kind != .text {
                        try await VerifiedValue(
                            campaignID: cid, regionID: rid, indicatorCode: ind.code, subCode: sub.code, value: value(sub, quality: q, rng: &rng),
                            source: .verified, reason: "市级第三方评估机构核验", by: "assessor"
                        ).create(on: db)
                    }
                }
            }
            for ind in picked {
                for sub in ind.subIndicators where sub.kind != .text {
                    let v = sub.kind == .yesNo ? "是" : value(sub, quality: 0, rng: &rng)
                    try await BenchmarkValue(campaignID: cid, benchmark: "全国标杆", indicatorCode: ind.code, subCode: sub.code, value: v).create(on: db)
                }
            }
            try await ScoreRuleSet(
                campaignID: cid,
                rules: RuleSet(rules: [AdjustmentRule(kind: .topRankBonus, k: 2, points: 2), AdjustmentRule(kind: .bottomRankDeduction, k: 2, points: 1)]),
                by: "coordinator"
            ).create(on: db)
            try await AuditLog.record(
                on: db, req: nil, actor: nil, action: "create", entityType: "campaign", entityID: campaign.id, before: noSnapshot,
                after: ["name": cityCampaignName])
            return created + 1
        }
    }
}
