import Foundation
import Testing
@testable import YingshangCore

@Suite("Report charts")
struct ChartsTests {
    /// The walk-through found the PDF's radar cutting long indicator names ("知识产权创造、保护和运用" lost its end and
    /// labels on the left ran off the page). Every label must fit inside the drawing, whole or in two lines.
    @Test("radar labels of the 18 national indicators fit inside the chart, none cut")
    func radarLabels() throws {
        let names = NationalCatalog.indicators.map(\.nameZh)
        let values: [Double?] = names.map { _ in 60 }
        let svg = SVGChart.radar(axes: names, series: [SVGChart.RadarSeries(label: "本县", values: values, color: "#1565c0")], title: "雷达图")
        let viewBox = try #require(svg.firstMatch(of: /viewBox="0 0 (\d+) (\d+)"/))
        let width = Double(viewBox.1) ?? 0
        // Each label: its anchor, x, and lines; CJK text is font-size wide per character.
        let labels = svg.matches(of: /<text x="([0-9.]+)" y="[0-9.-]+" font-size="11" text-anchor="(start|middle|end)"[^>]*><title>([^<]+)<\/title>((?:<tspan[^>]*>[^<]*<\/tspan>)+)<\/text>/)
        #expect(labels.count == names.count)
        for m in labels {
            let x = Double(m.1) ?? 0
            let spans = String(m.4).matches(of: /<tspan[^>]*>([^<]*)<\/tspan>/)
            let lines: [String] = spans.map { String($0.output.1) }
            let full = String(m.3)
            #expect(names.contains(full))
            // Whole name shown, or the first 13 characters and an ellipsis (only for names over 14 characters).
            let shown = lines.joined()
            #expect(shown == full || (full.count > 14 && shown.hasSuffix("…")), "\(full) shown as \(shown)")
            let longest: Int = lines.map { $0.count }.max() ?? 0
            let w = Double(longest) * 11
            let anchor = String(m.2)
            let left: Double = anchor == "start" ? x : anchor == "end" ? x - w : x - w / 2
            let right: Double = left + w
            #expect(left >= 0 && right <= width, "\(full): \(left)…\(right) outside 0…\(width)")
        }
    }
}
