import Foundation

/// The State Council's published holiday and make-up-workday arrangements (国务院办公厅关于 X 年部分节假日安排的通知),
/// one notice per year, transcribed day by day. A working-day computation in a year that is neither here nor
/// entered by the bureau is refused (`WorkCalendar.MissingYear`), never silently counted as Monday–Friday.
/// Each year's working-day total is checked in the tests against the totals the notices imply (docs/methods.md).
public enum OfficialHolidays {
    public struct Notice: Sendable {
        public let year: Int
        /// The notice's document number (and any later adjustment's), as printed on it.
        public let source: String
        public let entries: [CalendarEntry]
    }

    public static let notices: [Notice] = [
        notice(
            2019, "国办发明电〔2018〕15号；劳动节调整：国办发明电〔2019〕3号",
            holidays: [("01-01", "元旦"), ("02-04...02-10", "春节"), ("04-05...04-07", "清明节"), ("05-01...05-04", "劳动节"),
                       ("06-07...06-09", "端午节"), ("09-13...09-15", "中秋节"), ("10-01...10-07", "国庆节")],
            workdays: [("02-02", "春节调休"), ("02-03", "春节调休"), ("04-28", "劳动节调休"), ("05-05", "劳动节调休"),
                       ("09-29", "国庆节调休"), ("10-12", "国庆节调休")]),
        notice(
            2020, "国办发明电〔2019〕16号；春节延长：国办发明电〔2020〕1号",
            holidays: [("01-01", "元旦"), ("01-24...02-02", "春节（含延长）"), ("04-04...04-06", "清明节"), ("05-01...05-05", "劳动节"),
                       ("06-25...06-27", "端午节"), ("10-01...10-08", "国庆节、中秋节")],
            workdays: [("01-19", "春节调休"), ("04-26", "劳动节调休"), ("05-09", "劳动节调休"), ("06-28", "端午节调休"),
                       ("09-27", "国庆节调休"), ("10-10", "国庆节调休")]),
        notice(
            2021, "国办发明电〔2020〕27号",
            holidays: [("01-01...01-03", "元旦"), ("02-11...02-17", "春节"), ("04-03...04-05", "清明节"), ("05-01...05-05", "劳动节"),
                       ("06-12...06-14", "端午节"), ("09-19...09-21", "中秋节"), ("10-01...10-07", "国庆节")],
            workdays: [("02-07", "春节调休"), ("02-20", "春节调休"), ("04-25", "劳动节调休"), ("05-08", "劳动节调休"),
                       ("09-18", "中秋节调休"), ("09-26", "国庆节调休"), ("10-09", "国庆节调休")]),
        notice(
            2022, "国办发明电〔2021〕11号",
            holidays: [("01-01...01-03", "元旦"), ("01-31...02-06", "春节"), ("04-03...04-05", "清明节"), ("04-30...05-04", "劳动节"),
                       ("06-03...06-05", "端午节"), ("09-10...09-12", "中秋节"), ("10-01...10-07", "国庆节")],
            workdays: [("01-29", "春节调休"), ("01-30", "春节调休"), ("04-02", "清明节调休"), ("04-24", "劳动节调休"),
                       ("05-07", "劳动节调休"), ("10-08", "国庆节调休"), ("10-09", "国庆节调休")]),
        notice(
            2023, "国办发明电〔2022〕16号",
            holidays: [("01-01...01-02", "元旦"), ("01-21...01-27", "春节"), ("04-05", "清明节"), ("04-29...05-03", "劳动节"),
                       ("06-22...06-24", "端午节"), ("09-29...10-06", "中秋节、国庆节")],
            workdays: [("01-28", "春节调休"), ("01-29", "春节调休"), ("04-23", "劳动节调休"), ("05-06", "劳动节调休"),
                       ("06-25", "端午节调休"), ("10-07", "国庆节调休"), ("10-08", "国庆节调休")]),
        notice(
            2024, "国办发明电〔2023〕7号",
            holidays: [("01-01", "元旦"), ("02-10...02-17", "春节"), ("04-04...04-06", "清明节"), ("05-01...05-05", "劳动节"),
                       ("06-10", "端午节"), ("09-15...09-17", "中秋节"), ("10-01...10-07", "国庆节")],
            workdays: [("02-04", "春节调休"), ("02-18", "春节调休"), ("04-07", "清明节调休"), ("04-28", "劳动节调休"),
                       ("05-11", "劳动节调休"), ("09-14", "中秋节调休"), ("09-29", "国庆节调休"), ("10-12", "国庆节调休")]),
        notice(
            2025, "国办发明电〔2024〕12号",
            holidays: [("01-01", "元旦"), ("01-28...02-04", "春节"), ("04-04...04-06", "清明节"), ("05-01...05-05", "劳动节"),
                       ("05-31...06-02", "端午节"), ("10-01...10-08", "国庆节、中秋节")],
            workdays: [("01-26", "春节调休"), ("02-08", "春节调休"), ("04-27", "劳动节调休"), ("09-28", "国庆节调休"),
                       ("10-11", "国庆节调休")]),
        notice(
            // The Xinhua release of 4 November 2025 prints no number; 7号 is as the 人社通 repost carries it.
            2026, "国办发明电〔2025〕7号（2025年11月4日）",
            holidays: [("01-01...01-03", "元旦"), ("02-15...02-23", "春节"), ("04-04...04-06", "清明节"), ("05-01...05-05", "劳动节"),
                       ("06-19...06-21", "端午节"), ("09-25...09-27", "中秋节"), ("10-01...10-07", "国庆节")],
            workdays: [("01-04", "元旦调休"), ("02-14", "春节调休"), ("02-28", "春节调休"), ("05-09", "劳动节调休"),
                       ("09-20", "国庆节调休"), ("10-10", "国庆节调休")]),
    ]

    public static var years: [Int] { notices.map(\.year) }

    public static func notice(year: Int) -> Notice? { notices.first { $0.year == year } }

    /// "MM-DD" or "MM-DD...MM-DD" within `year`.
    private static func notice(
        _ year: Int, _ source: String, holidays: [(String, String)], workdays: [(String, String)]
    ) -> Notice {
        func days(_ spec: String) -> [Day] {
            let ends = spec.components(separatedBy: "...").compactMap { Day("\(year)-\($0)") }
            guard let first = ends.first, let last = ends.last else { return [] }
            return Day.range(first, last)
        }
        let entries = holidays.flatMap { spec, name in days(spec).map { CalendarEntry(day: $0, kind: .holiday, name: name) } }
            + workdays.flatMap { spec, name in days(spec).map { CalendarEntry(day: $0, kind: .workday, name: name) } }
        return Notice(year: year, source: source, entries: entries.sorted { $0.day < $1.day })
    }
}
