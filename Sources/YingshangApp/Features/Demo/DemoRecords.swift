import Foundation
import YingshangCore

/// Synthetic departmental case records for trying verification on the demo county: cases scatter around the filed
/// values, except the `inflate` sub-indicators whose real values are two to three times what was filed.
enum DemoRecords {
    static func csv(indicator: String, filed: [String: Double], inflate: Set<String>, cases: Int = 80, seed: UInt64, calendar: WorkCalendar) throws -> String {
        var rng = SeededGenerator(seed: seed)
        func target(_ sub: String, _ fallback: Double) -> Double {
            let f = filed[sub] ?? fallback
            return inflate.contains(sub) ? max(f, 1) * Double.random(in: 2.2...3, using: &rng) : f
        }
        let days = target("time", 3), steps = target("steps", 4), docs = target("documents", 6), fee = target("cost", 0)
        var lines = ["办件编号,统一社会信用代码,申请日期,办结日期,环节数,材料数,费用（元）"]
        let start = Day(year: 2022, month: 1, day: 4) ?? Day(ordinal: 0)
        for i in 0..<cases {
            var applied = start.adding(days: Int.random(in: 0...260, using: &rng))
            while !(try calendar.isWorkday(applied)) { applied = applied.adding(days: 1) }
            var done = applied
            var need = Int((days * Double.random(in: 0.7...1.3, using: &rng)).rounded())
            while need > 0 {
                done = done.adding(days: 1)
                if try calendar.isWorkday(done) { need -= 1 }
            }
            let s = max(1, Int((steps + Double.random(in: -0.6...0.6, using: &rng)).rounded()))
            let d = max(1, Int((docs + Double.random(in: -1...1, using: &rng)).rounded()))
            let yuan = max(0, fee * Double.random(in: 0.9...1.1, using: &rng))
            lines.append("\(indicator.prefix(2).uppercased())2022\(String(format: "%05d", i + 1)),\(uscc(&rng)),\(applied),\(done),\(s),\(d),\(String(format: "%.2f", yuan))")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func uscc(_ rng: inout SeededGenerator) -> String {
        let chars = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var body = Array("91370799")
        for _ in 0..<9 { body.append(chars[Int.random(in: 0..<chars.count, using: &rng)]) }
        return String(body) + String(USCC.checkCharacter(for: body) ?? "0")
    }
}
