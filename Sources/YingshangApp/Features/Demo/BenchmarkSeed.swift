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
        _ = sql
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
