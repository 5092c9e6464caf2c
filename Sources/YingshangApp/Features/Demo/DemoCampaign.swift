import Fluent
import Vapor
import YingshangCore

/// The demo's indicator system, 2022 holidays and a running "2022 年度" campaign with assignments, a schedule and
/// filing tasks in various states, so the dispatch board has something to show. Idempotent.
enum DemoCampaign {
    static let name = "2022 年度县域营商环境评价（示例）"

    /// Lead unit per national indicator in the demo county.
    static let leads: [String: String] = [
        "starting_business": "SCJG", "labor_market": "RSJ", "construction_permits": "ZJJ",
        "government_procurement": "CZJ", "bidding": "GGZY", "getting_electricity": "GD", "water_gas": "SWGS",
        "registering_property": "ZRZY", "getting_credit": "RMYH", "protecting_investors": "FY",
        "intellectual_property": "SCJG", "cross_border_trade": "SWUJ", "paying_taxes": "SWJ",
        "enforcing_contracts": "FY", "resolving_insolvency": "FY", "market_regulation": "SCJG",
        "government_services": "ZWFW", "inclusive_innovation": "FGJ",
    ]

    static let cooperators: [String: [String]] = [
        "starting_business": ["SWJ", "GAJ", "RSJ", "RMYH"], "construction_permits": ["ZRZY", "FGJ", "SLJ"],
        "getting_electricity": ["ZJJ", "ZRZY", "JTJ"], "registering_property": ["SWJ", "ZJJ"],
        "paying_taxes": ["CZJ", "RSJ", "YBJ"], "government_services": ["SPJ"], "market_regulation": ["GAJ"],
    ]

    /// 2022 public holidays and 调休 workdays (State Council notice).
    static let holidays2022 = """
        2022-01-01 放假 元旦
        2022-01-02 放假 元旦
        2022-01-03 放假 元旦
        2022-01-29 上班 春节调休
        2022-01-30 上班 春节调休
        2022-01-31 放假 春节
        2022-02-01 放假 春节
        2022-02-02 放假 春节
        2022-02-03 放假 春节
        2022-02-04 放假 春节
        2022-02-05 放假 春节
        2022-02-06 放假 春节
        2022-04-02 上班 清明调休
        2022-04-03 放假 清明节
        2022-04-04 放假 清明节
        2022-04-05 放假 清明节
        2022-04-24 上班 劳动节调休
        2022-04-30 放假 劳动节
        2022-05-01 放假 劳动节
        2022-05-02 放假 劳动节
        2022-05-03 放假 劳动节
        2022-05-04 放假 劳动节
        2022-05-07 上班 劳动节调休
        2022-06-03 放假 端午节
        2022-06-04 放假 端午节
        2022-06-05 放假 端午节
        2022-09-10 放假 中秋节
        2022-09-11 放假 中秋节
        2022-09-12 放假 中秋节
        2022-10-01 放假 国庆节
        2022-10-02 放假 国庆节
        2022-10-03 放假 国庆节
        2022-10-04 放假 国庆节
        2022-10-05 放假 国庆节
        2022-10-06 放假 国庆节
        2022-10-07 放假 国庆节
        2022-10-08 上班 国庆调休
        2022-10-09 上班 国庆调休
        """

    static func load(app: Application, registerSize: Int = 600) async throws -> Int {
        var created = 0
        if try await CatalogService.current(on: app.db) == nil {
            _ = try await CatalogService.loadNational(by: nil, clock: app.clock, on: app.db)
            created += 1
        }
        if try await CalendarDay.query(on: app.db).count() == 0 {
            let entries = CalendarEntry.parseList(holidays2022).entries
            try await app.db.writeTransaction { db in
                for e in entries { try await CalendarDay(entry: e).create(on: db) }
                try await DataRevision.bump(on: db)
            }
            created += entries.count
        }
        if try await Campaign.query(on: app.db).filter(\.$name == name).first() == nil {
            created += try await createCampaign(app: app)
        }
        if let c = try await Campaign.query(on: app.db).filter(\.$name == name).first(), let cid = c.id,
            try await Enterprise.register(of: cid, on: app.db).count() == 0
        {
            let outcome = try await RegisterImporter.run(
                campaignID: cid, data: Data(demoRegisterCSV(count: registerSize).utf8), filename: "demo.csv", skipInvalid: false,
                db: app.db)
            created += outcome.imported
        }
        return created
    }

    /// Fictional enterprises with valid credit codes, spread over the townships, industries and sizes.
    static func demoRegisterCSV(count: Int) -> String {
        var lines: [String] = []
        registerLines(count: count, seed: 2022, employees: true) { lines.append($0) }
        return lines.joined(separator: "\n")
    }

    /// The synthetic register of the demo county, one CSV line at a time (header first), so a benchmark file of a
    /// million rows is written without holding it in memory. Same count and seed, same file.
    /// `employees` adds a 从业人员 column (an extra column, the proxy a Neyman allocation can take S_h from) drawn from
    /// its own generator, so the other columns are the same with or without it.
    static func registerLines(count: Int, seed: UInt64, employees: Bool = false, _ line: (String) throws -> Void) rethrows {
        var rng = SeededGenerator(seed: seed)
        var staff = SeededGenerator(seed: seed &+ 1)
        // Headcount bands of the 2017 size classification (工信部联企业〔2011〕300号, industry): micro < 20, small 20–299,
        // medium 300–999, large ≥ 1000.
        let bands: [String: (Int, Int)] = ["微型": (1, 19), "小型": (20, 299), "中型": (300, 999), "大型": (1000, 3000)]
        let words = ["青禾", "润丰", "华兴", "瑞达", "金穗", "鸿运", "恒通", "宏业", "嘉禾", "永盛", "新源", "德信", "众成", "泰和", "安康"]
        let trades: [(String, String)] = [
            ("C", "机械制造"), ("C", "食品加工"), ("F", "商贸"), ("F", "农资"), ("E", "建筑工程"), ("H", "餐饮"), ("G", "物流"),
            ("I", "信息技术"), ("A", "农业开发"), ("L", "商务咨询"), ("O", "家政服务"), ("K", "房地产开发"),
        ]
        let sizes = ["微型", "微型", "微型", "小型", "小型", "中型", "大型"]
        let statuses = ["存续", "存续", "在业", "在业", "在业", "迁出", "注销"]
        try line("统一社会信用代码,企业名称,所属乡镇/街道,行业门类,企业规模,登记状态,成立日期,联系人,联系电话" + (employees ? ",从业人员" : ""))
        var used = Set<EnterpriseRegister.USCCKey>()
        var i = 0
        while used.count < count {
            i += 1
            let body = "91370799" + String((0..<9).map { _ in USCC.alphabet[rng.below(31)] })
            guard let check = USCC.checkCharacter(for: body) else { continue }
            let code = body + String(check)
            guard used.insert(EnterpriseRegister.USCCKey(code)).inserted else { continue }
            let trade = trades[rng.below(trades.count)]
            let town = DemoCounty.townships[rng.below(DemoCounty.townships.count)]
            let year = 2005 + rng.below(17)
            let name = "青山县\(words[rng.below(words.count)])\(trade.1)有限公司" + (i % 7 == 0 ? "（\(i)）" : String(i))
            let size = sizes[rng.below(sizes.count)]
            let status = statuses[rng.below(statuses.count)]
            let month = 1 + rng.below(12)
            let day = 1 + rng.below(28)
            var cells = [
                code, name, town.1, trade.0, size, status,
                String(format: "%04d-%02d-%02d", year, month, day), "联系人\(i)", "1380000\(String(format: "%04d", i))",
            ]
            if employees, let band = bands[size] { cells.append(String(band.0 + staff.below(band.1 - band.0 + 1))) }
            try line(cells.joined(separator: ","))
        }
    }

    /// Writes `registerLines` to a file (the benchmark's million-row register).
    static func writeRegister(count: Int, seed: UInt64, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw AdminTasks.Failure(description: "无法写入文件 \(path)")
        }
        defer { try? out.close() }
        var buffer = Data()
        try registerLines(count: count, seed: seed) { line in
            buffer.append(contentsOf: line.utf8)
            buffer.append(0x0A)
            if buffer.count > 1 << 20 {
                try out.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try out.write(contentsOf: buffer)
    }

    private static func createCampaign(app: Application) async throws -> Int {
        let db = app.db
        guard let version = try await CatalogService.current(on: db), let versionID = version.id,
            let county = try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first(),
            let countyID = county.id
        else { return 0 }
        let catalog = try version.catalog()
        let picked = catalog.indicators.filter { $0.code != "cross_border_trade" && $0.code != "resolving_insolvency" }
        let units = Dictionary(uniqueKeysWithValues: try await Unit.query(on: db).all().compactMap { u in u.id.map { _ in (u.code, u) } })
        let users = Dictionary(uniqueKeysWithValues: try await User.query(on: db).all().compactMap { u in u.id.map { _ in (u.username, u) } })
        let calendar = try await CalendarDay.workCalendar(on: db)
        let phases = PhasePlan.defaults(year: 2022)
        guard let filing = phases.first(where: { $0.kind == .filing }),
            case .success(let schedule) = FilingSchedule.generate(
                indicators: picked.map(\.code), start: filing.start, end: filing.end, perDay: 2, calendar: calendar)
        else { return 0 }
        let campaign = Campaign(
            name: name, year: 2022, catalogVersionID: versionID, start: phases[0].start, end: phases[3].end, perDay: 2)
        campaign.status = Campaign.Status.active.rawValue
        // Statuses by schedule position: the early indicators are done, later ones lag, one was returned.
        let statuses: [WorkStatus] = [
            .accepted, .accepted, .accepted, .submitted, .accepted, .submitted, .returned, .drafting, .submitted,
            .drafting, .notStarted, .drafting, .submitted, .notStarted, .notStarted, .drafting,
        ]
        try await db.transaction { db in
            try await campaign.create(on: db)
            let id = try campaign.requireID()
            try await CampaignRegion(campaignID: id, regionID: countyID).create(on: db)
            for p in phases { try await CampaignPhase(campaignID: id, span: p).create(on: db) }
            for (i, ind) in picked.enumerated() {
                try await CampaignIndicator(campaignID: id, code: ind.code, name: ind.nameZh, position: i).create(on: db)
                let a = Assignment(campaignID: id, regionID: countyID, indicatorCode: ind.code)
                let lead = leads[ind.code].flatMap { units[$0] }
                a.$leadUnit.id = lead?.id
                let leader = lead?.code == "SCJG" ? users["unithead"] : users["coordinator"]
                a.$leader.id = leader?.id
                if lead?.code == "SCJG" {
                    a.leadConfirmedAt = Date()
                    a.leadConfirmedBy = "unithead"
                }
                try await a.create(on: db)
                let aid = try a.requireID()
                for code in cooperators[ind.code] ?? [] {
                    if let u = units[code]?.id { try await AssignmentCooperator(assignmentID: aid, unitID: u).create(on: db) }
                }
                if let leaderID = leader?.id {
                    try await AssignmentMember(assignmentID: aid, userID: leaderID, teamRole: "领队").create(on: db)
                }
                if lead?.code == "SCJG", let filer = users["filer"]?.id {
                    try await AssignmentMember(assignmentID: aid, userID: filer, teamRole: "填报人").create(on: db)
                }
            }
            for (i, e) in schedule.enumerated() {
                try await ScheduleEntry(campaignID: id, regionID: countyID, entry: e).create(on: db)
                guard let lead = leads[e.indicatorCode].flatMap({ units[$0]?.id }) else { continue }
                let name = picked.first { $0.code == e.indicatorCode }?.nameZh ?? e.indicatorCode
                try await CampaignTask(
                    campaignID: id, phase: .filing, regionID: countyID, indicatorCode: e.indicatorCode, title: "填报：\(name)",
                    unitID: lead, deadline: e.day, status: statuses[i % statuses.count]
                ).create(on: db)
            }
            if let spj = units["SPJ"]?.id {
                let training: [(String, String, WorkStatus)] = [
                    ("下发县级指标填报指引", "2022-09-09", .accepted), ("组织各单位填报人员培训", "2022-09-23", .accepted),
                    ("各牵头单位确认分工", "2022-09-28", .submitted),
                ]
                for (title, day, status) in training {
                    guard let d = Day(day) else { continue }
                    try await CampaignTask(
                        campaignID: id, phase: .training, regionID: countyID, indicatorCode: nil, title: title, unitID: spj,
                        deadline: d, status: status
                    ).create(on: db)
                }
            }
            try await AuditLog.record(
                on: db, req: nil, actor: nil, action: "create", entityType: "campaign", entityID: campaign.id,
                before: noSnapshot, after: ["name": name])
        }
        return 1
    }
}
