import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/schedule`: the filing plan as a calendar and a list; generate, export, create filing tasks.
struct ScheduleWebController {
    struct CalendarCell: Encodable {
        let date: String
        let dayNumber: Int
        let inMonth: Bool
        let off: Bool
        let holidayName: String
        let entries: [String]
    }

    struct Month: Encodable {
        let title: String
        let weeks: [[CalendarCell]]
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let regions: [MatrixWebController.RegionTab]
        let filingPhase: String
        let perDay: Int
        let fixedText: String
        let entries: [ScheduleEntryDTO]
        let months: [Month]
        let canManage: Bool
        let errors: [String: String]
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "schedule", action: .viewCampaigns, use: show)
        g.post("campaigns", ":id", "schedule", action: .manageCampaigns, use: generate)
        g.post("campaigns", ":id", "schedule", "tasks", action: .manageCampaigns, use: createTasks)
        g.get("campaigns", ":id", "schedule.csv", action: .viewCampaigns, use: csv)
        g.get("campaigns", ":id", "schedule.xlsx", action: .viewCampaigns, use: xlsx)
    }

    private func body(_ req: Request, input: ScheduleInput?, errors: [String: String]) async throws -> Body {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        let entries = try await ScheduleService.entries(c, regionID: try region.requireID(), on: req.db)
        let filing = d.phase(.filing)
        let holidays = try await CalendarDay.query(on: req.db).all().compactMap(\.entry)
        let calendar = CalendarEntry.calendar(holidays)
        let names = Dictionary(uniqueKeysWithValues: holidays.map { ($0.day, $0.name) })
        var months: [Month] = []
        if let filing {
            var byDay: [String: [String]] = [:]
            for e in entries { byDay[e.day, default: []].append(e.indicatorName + (e.fixed ? "（固定）" : "")) }
            var cursor = Day(year: filing.start.year, month: filing.start.month, day: 1) ?? filing.start
            while cursor <= filing.end {
                months.append(month(cursor, calendar: calendar, names: names, entries: byDay))
                let next = cursor.month == 12 ? (cursor.year + 1, 1) : (cursor.year, cursor.month + 1)
                cursor = Day(year: next.0, month: next.1, day: 1) ?? filing.end.adding(days: 1)
            }
        }
        let fixedText = input?.fixed ?? entries.filter(\.fixed).map { "\($0.indicatorCode) \($0.day)" }.joined(separator: "\n")
        return Body(
            campaignID: try c.requireID().uuidString, campaignName: c.name, regionID: try region.requireID().uuidString,
            regions: req.reachable(d.regions).map { .init(id: $0.id?.uuidString ?? "", name: $0.name, active: $0.id == region.id) },
            filingPhase: filing.map { "\($0.start) 至 \($0.end)" } ?? "未设置", perDay: input?.perDay ?? c.perDay,
            fixedText: fixedText, entries: entries, months: months,
            canManage: req.offers(.manageCampaigns), errors: errors)
    }

    /// A Monday-first month grid.
    private func month(_ first: Day, calendar: WorkCalendar, names: [Day: String], entries: [String: [String]]) -> Month {
        let start = first.adding(days: -(first.isoWeekday - 1))
        let days = Day.daysInMonth(year: first.year, month: first.month)
        let last = first.adding(days: days - 1)
        let end = last.adding(days: 7 - last.isoWeekday)
        let cells = Day.range(start, end).map { d in
            CalendarCell(
                date: d.description, dayNumber: d.day, inMonth: d.month == first.month, off: !((try? calendar.isWorkday(d)) ?? !d.isWeekend),  // the page where a missing year gets entered must still show it

                holidayName: names[d] ?? "", entries: entries[d.description] ?? [])
        }
        let weeks = stride(from: 0, to: cells.count, by: 7).map { Array(cells[$0..<min($0 + 7, cells.count)]) }
        return Month(title: "\(first.year) 年 \(first.month) 月", weeks: weeks)
    }

    @Sendable func show(req: Request) async throws -> View {
        try await req.render("campaigns/schedule", title: "填报日程", try await body(req, input: nil, errors: [:]))
    }

    @Sendable func generate(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let input = try req.content.decode(ScheduleInput.self)
        return try await req.submitForm(
            successMessage: "已生成填报日程", redirectTo: try c.url(.schedule),
            renderForm: { try await req.render("campaigns/schedule", title: "填报日程", try await body(req, input: input, errors: $0)) },
            write: { _ = try await ScheduleService.generate(c, input, by: req.caller()) })
    }

    @Sendable func createTasks(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let target = try c.url(.schedule)
        do {
            let n = try await ScheduleService.createFilingTasks(c, by: req.caller())
            req.setFlash(n == 0 ? "填报任务均已存在" : "已为牵头单位生成 \(n) 项填报任务")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash(([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "："), kind: "error")
        }
        return req.redirect(to: target)
    }

    private func table(_ req: Request) async throws -> (String, [[String]]) {
        let b = try await body(req, input: nil, errors: [:])
        let rows = [["日期", "星期", "指标代码", "指标", "固定日期"]]
            + b.entries.map { [$0.day, $0.weekday, $0.indicatorCode, $0.indicatorName, $0.fixed ? "是" : ""] }
        return (b.campaignName, rows)
    }

    @Sendable func csv(req: Request) async throws -> Response {
        let (name, rows) = try await table(req)
        return Downloads.file(CSVWriter.write(rows), name: "\(name)-填报日程.csv", type: "text/csv; charset=utf-8")
    }

    @Sendable func xlsx(req: Request) async throws -> Response {
        let (name, rows) = try await table(req)
        return try await Downloads.workbook([Sheet(name: "填报日程", rows: rows.map { $0.map(Cell.text) })], name: "\(name)-填报日程.xlsx", req: req)
    }
}

/// `/calendar`: the holiday and 调休 list, one line per day.
struct CalendarWebController {
    struct Body: Encodable {
        let text: String
        let errors: [String]
        let entries: [Row]
        let canManage: Bool
        /// The years working days can be counted in, each with where its arrangement comes from.
        let years: [YearRow]
    }

    struct YearRow: Encodable {
        let year: Int
        let workdays: Int
        let source: String
    }

    struct Row: Encodable {
        let day: String
        let weekday: String
        let kind: String
        let name: String
    }

    struct Form: Content {
        var text: String?
    }

    func register(_ g: Guarded) {
        g.get("calendar", action: .viewCampaigns, use: show)
        g.post("calendar", action: .manageCalendar, use: save)
    }

    private func render(_ req: Request, text: String?, errors: [String]) async throws -> View {
        let entries = try await CalendarDay.query(on: req.db).sort(\.$day).all().compactMap(\.entry)
        let asText = entries.map { "\($0.day) \($0.kind == .holiday ? "放假" : "上班") \($0.name)" }.joined(separator: "\n")
        return try await req.render(
            "campaigns/calendar", title: "节假日与调休",
            Body(
                text: text ?? asText, errors: errors,
                entries: entries.map {
                    Row(day: $0.day.description, weekday: $0.day.chineseWeekday, kind: $0.kind.chineseName, name: $0.name)
                },
                canManage: Permissions.allows(try req.currentRole(), .manageCalendar),
                years: Self.years(entries)))
    }

    static func years(_ entries: [CalendarEntry]) -> [YearRow] {
        let calendar = CalendarEntry.calendar(entries)
        return (calendar.years ?? []).sorted().compactMap { year in
            guard let first = Day(year: year, month: 1, day: 1), let last = Day(year: year, month: 12, day: 31),
                let count = try? calendar.workdays(from: first, through: last).count
            else { return nil }
            let official = OfficialHolidays.notice(year: year)
            let same = official.map { Set($0.entries.map(\.day)) == Set(entries.filter { $0.day.year == year }.map(\.day)) } ?? false
            return YearRow(
                year: year, workdays: count,
                source: official.map { same ? $0.source : "\($0.source)（已按本地录入修改）" } ?? "本地录入")
        }
    }

    @Sendable func show(req: Request) async throws -> View {
        try await render(req, text: nil, errors: [])
    }

    /// Replaces the whole list; any bad line rejects the save.
    @Sendable func save(req: Request) async throws -> Response {
        let text = try req.content.decode(Form.self).text ?? ""
        let (entries, problems) = CalendarEntry.parseList(text)
        if !problems.isEmpty {
            let res = try await render(req, text: text, errors: problems).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        let before = try await CalendarDay.query(on: req.db).count()
        try await req.db.writeTransaction { db in
            try await CalendarDay.query(on: db).delete()
            for e in entries { try await CalendarDay(entry: e).create(on: db) }
            try await AuditLog.record(
                on: db, req: req, actor: req.auth.get(User.self), action: "update", entityType: "calendar", entityID: nil,
                before: ["entries": before], after: ["entries": entries.count])
        }
        req.setFlash("已保存 \(entries.count) 条节假日/调休")
        return req.redirect(to: "/calendar")
    }
}
