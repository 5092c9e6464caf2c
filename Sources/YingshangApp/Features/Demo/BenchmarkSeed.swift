import Fluent
import SQLKit
import Vapor
import YingshangCore

/// Builds a large campaign for the dispatch benchmark: every catalog indicator, `units` units and `tasks`
/// filing tasks spread over them with seeded random statuses. Returns the campaign id.
enum BenchmarkSeed {
    static func seed(app: Application, units unitCount: Int, tasks taskCount: Int, seed: UInt64) async throws -> UUID {
        _ = try await DemoLoader.load(app: app, password: nil)
        let db = app.db
        let (version, catalog) = try await CatalogService.requireCurrent(on: db)
        guard let county = try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first(),
            let countyID = county.id
        else { throw AdminTasks.Failure(description: "演示县不存在") }
        let existing = try await Unit.query(on: db).all()
        let phases = PhasePlan.defaults(year: 2022)
        let campaign = Campaign(
            name: "压测评价任务 \(unitCount) 单位 \(taskCount) 任务", year: 2022, catalogVersionID: try version.requireID(),
            start: phases[0].start, end: phases[3].end, perDay: 2)
        campaign.status = Campaign.Status.active.rawValue
        let calendar = try await CalendarDay.workCalendar(on: db)
        let codes = catalog.indicators.map(\.code)
        guard case .success(let schedule) = FilingSchedule.generate(
            indicators: codes, start: phases[1].start, end: phases[1].end, perDay: 2, calendar: calendar)
        else { throw AdminTasks.Failure(description: "无法生成日程") }
        try await db.transaction { db in
            var units = existing
            var rng = SplitMix64(seed: seed)
            var n = 1
            while units.count < unitCount {
                let code = String(format: "BENCH%03d", n)
                if try await Unit.query(on: db).filter(\.$code == code).first() == nil {
                    let u = Unit(code: code, name: "压测单位\(n)", type: .governmentDepartment, regionID: countyID)
                    try await u.create(on: db)
                    units.append(u)
                }
                n += 1
            }
            try await campaign.create(on: db)
            let id = try campaign.requireID()
            try await CampaignRegion(campaignID: id, regionID: countyID).create(on: db)
            for p in phases { try await CampaignPhase(campaignID: id, span: p).create(on: db) }
            for (i, ind) in catalog.indicators.enumerated() {
                try await CampaignIndicator(campaignID: id, code: ind.code, name: ind.nameZh, position: i).create(on: db)
                let a = Assignment(campaignID: id, regionID: countyID, indicatorCode: ind.code)
                a.$leadUnit.id = units[i % units.count].id
                try await a.create(on: db)
                for k in 1...3 {
                    if let u = units[(i * 3 + k) % units.count].id, u != a.$leadUnit.id {
                        try await AssignmentCooperator(assignmentID: try a.requireID(), unitID: u).create(on: db)
                    }
                }
            }
            for e in schedule { try await ScheduleEntry(campaignID: id, regionID: countyID, entry: e).create(on: db) }
            let statuses = WorkStatus.allCases
            for t in 0..<taskCount {
                let e = schedule[t % schedule.count]
                guard let unit = units[Int(rng.next() % UInt64(units.count))].id else { continue }
                try await CampaignTask(
                    campaignID: id, phase: .filing, regionID: countyID, indicatorCode: e.indicatorCode,
                    title: "压测任务 \(t + 1)", unitID: unit, deadline: e.day,
                    status: statuses[Int(rng.next() % UInt64(statuses.count))]
                ).create(on: db)
            }
            try await DataRevision.bump(on: db)
        }
        return try campaign.requireID()
    }
}

/// Synthetic enterprises for the register benchmarks, inserted directly (500 rows per statement).
enum RegisterBenchmark {
    static func seed(app: Application, campaignID: UUID, count: Int, seed: UInt64) async throws {
        guard let sql = app.db as? any SQLDatabase else { return }
        let towns = DemoCounty.townships.map(\.0)
        let industries = ["A", "C", "E", "F", "G", "H", "I", "L", "O"]
        let sizes = ["微型", "小型", "中型", "大型"]
        let statuses = ["存续", "在业", "注销"]
        var made = 0
        while made < count {
            let n = min(500, count - made)
            let start = made
            try await app.db.writeTransaction { tx in
                guard let sqlTx = tx as? any SQLDatabase else { return }
                let snapshot = try await RegisterSnapshot.ensure(campaignID, on: tx)
                var insert = sqlTx.insert(into: Enterprise.schema).columns(
                    "snapshot_id", "uscc", "name", "township_code", "industry", "size", "status", "founded", "extra")
                for i in 0..<n {
                    let k = start + i
                    let body = String(format: "91370799%09d", k).map { $0 }
                    let code = String(body)
                    let check = USCC.checkCharacter(for: Array(code)) ?? "0"
                    let values: [any SQLExpression] = [
                        SQLBind(snapshot), SQLBind(code + String(check)), SQLBind("压测企业\(k)"),
                        SQLBind(towns[k % towns.count]), SQLBind(industries[(k / 7) % industries.count]),
                        SQLBind(sizes[(k / 3) % sizes.count]), SQLBind(statuses[k % statuses.count]), SQLBind("2015-01-01"), SQLBind("{}"),
                    ]
                    insert = insert.values(values)
                }
                try await insert.run()
            }
            made += n
        }
        if let snapshot = try await RegisterSnapshot.number(of: campaignID, on: app.db) {
            try await RegisterCounts.recount(snapshot, on: sql)
        }
    }
}

/// A small seeded generator so benchmark data is the same on every run and database.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A synthetic province for `scripts/bench-province.sh` (issue 21): `counties` counties under one province, each with
/// its own campaign and a register of `rows` enterprises, written by the database itself (`generate_series`), then an
/// empty campaign on the demo county for the measured county's import. PostgreSQL only: the province deployment runs
/// on it, and the point is the register's partitions.
enum ProvinceBenchmark {
    static let targetName = "省级基准：青山县"

    static func seed(app: Application, counties: Int, rows: Int) async throws -> String {
        guard let sql = app.db as? any SQLDatabase, sql.engine == .postgres else {
            throw AdminTasks.Failure(description: "省级基准只在 PostgreSQL 上运行（设置 DATABASE_URL）")
        }
        guard let template = try await Campaign.query(on: app.db).filter(\.$name == DemoCampaign.name).first(),
              let home = try await Region.query(on: app.db).filter(\.$code == DemoCounty.countyCode).first(), let homeID = home.id
        else { throw AdminTasks.Failure(description: "请先运行 yingshang demo") }
        let province: Region
        if let existing = try await Region.query(on: app.db).filter(\.$code == "990000").first() {
            province = existing
        } else {
            province = Region(code: "990000", name: "基准省", level: .province, parentID: nil)
            try await province.create(on: app.db)
        }
        func campaign(_ name: String, region: UUID) async throws -> UUID {
            if let c = try await Campaign.query(on: app.db).filter(\.$name == name).first() { return try c.requireID() }
            let c = Campaign(name: name, year: template.year, catalogVersionID: template.$catalogVersion.id, start: template.start, end: template.end, perDay: 2)
            try await c.create(on: app.db)
            try await CampaignRegion(campaignID: try c.requireID(), regionID: region).create(on: app.db)
            return try c.requireID()
        }
        for k in 1...max(1, counties) where counties > 0 {
            let code = String(format: "99%04d", k)
            let county: Region
            if let existing = try await Region.query(on: app.db).filter(\.$code == code).first() {
                county = existing
            } else {
                county = Region(code: code, name: "基准县\(k)", level: .county, parentID: province.id)
                try await county.create(on: app.db)
            }
            let cid = try await campaign("省级基准：基准县\(k)", region: try county.requireID())
            try await app.db.transaction { tx in
                guard let sqlTx = tx as? any SQLDatabase else { return }
                let snapshot = try await RegisterSnapshot.ensure(cid, on: tx)
                let have = try await sqlTx.raw("SELECT count(*) AS n FROM enterprises WHERE snapshot_id = \(bind: snapshot)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
                guard have < rows else { return }
                try await sqlTx.raw("""
                    INSERT INTO enterprises (snapshot_id, uscc, name, township_code, industry, size, status, founded, extra)
                    SELECT \(bind: snapshot), '91' || \(bind: code) || lpad(g::text, 10, '0'), '基准企业' || g,
                           \(bind: code) || lpad((1 + g % 12)::text, 3, '0'),
                           (ARRAY['A','C','E','F','G','H','I','L','O'])[1 + (g / 7) % 9],
                           (ARRAY['微型','小型','中型','大型'])[1 + (g / 3) % 4],
                           (ARRAY['存续','在业','注销'])[1 + g % 3], '2015-01-01', '{}'
                    FROM generate_series(\(bind: have + 1), \(bind: rows)) AS g
                    """).run()
                try await RegisterCounts.recount(snapshot, on: sqlTx)
            }
        }
        try await sql.raw("ANALYZE enterprises").run()
        _ = try await campaign(targetName, region: homeID)
        return targetName
    }
}
