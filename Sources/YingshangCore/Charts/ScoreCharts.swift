import Foundation

/// Charts of the evaluation report, drawn as SVG on the server: score bars, a radar and gaps to a benchmark.
extension SVGChart {
    public struct ScoreBar: Sendable {
        public let label: String
        public let score: Double?
        /// A benchmark's score drawn as a marker on the bar.
        public let marker: Double?

        public init(label: String, score: Double?, marker: Double? = nil) {
            self.label = label
            self.score = score
            self.marker = marker
        }
    }

    /// Horizontal 0–100 bars, one per indicator; a missing score reads "未评分".
    public static func scoreBars(_ bars: [ScoreBar], width: Int = 640, title: String, markerLabel: String? = nil) -> String {
        let rowH = 24, labelW = 200
        let barW = Double(width - labelW - 60)
        let legend = markerLabel == nil ? 0 : 22
        let height = max(rowH, bars.count * rowH) + legend
        var svg = open(width: width, height: height, title: title)
        for (i, b) in bars.enumerated() {
            let y = i * rowH
            svg += "<text x=\"0\" y=\"\(y + 16)\" font-size=\"13\" fill=\"#333\">\(SafeMarkdown.escape(String(b.label.prefix(14))))</text>"
            svg += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(fmt(barW))\" height=\"14\" fill=\"#eceff1\"/>"
            if let s = b.score {
                let color = s >= 80 ? "#2e7d32" : s >= 60 ? "#f9a825" : "#c62828"
                svg += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(fmt(barW * s / 100))\" height=\"14\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(fmt(Double(labelW) + barW + 6))\" y=\"\(y + 16)\" font-size=\"12\" fill=\"#333\">\(String(format: "%.2f", s))</text>"
            } else {
                svg += "<text x=\"\(fmt(Double(labelW) + barW + 6))\" y=\"\(y + 16)\" font-size=\"12\" fill=\"#999\">未评分</text>"
            }
            if let m = b.marker {
                let x = Double(labelW) + barW * min(100, max(0, m)) / 100
                svg += "<rect x=\"\(fmt(x - 1.5))\" y=\"\(y + 1)\" width=\"3\" height=\"20\" fill=\"#1a237e\"><title>\(String(format: "%.2f", m))</title></rect>"
            }
        }
        if let markerLabel {
            let y = bars.count * rowH + 6
            svg += "<rect x=\"\(labelW)\" y=\"\(y)\" width=\"3\" height=\"14\" fill=\"#1a237e\"/>"
            svg += "<text x=\"\(labelW + 8)\" y=\"\(y + 12)\" font-size=\"12\" fill=\"#333\">\(SafeMarkdown.escape(markerLabel))</text>"
        }
        return svg + "</svg>"
    }

    public struct RadarSeries: Sendable {
        public let label: String
        public let values: [Double?]
        public let color: String

        public init(label: String, values: [Double?], color: String) {
            self.label = label
            self.values = values
            self.color = color
        }
    }

    /// A radar over the indicators (0–100 each); missing values are drawn at 0 and marked in the legend.
    public static func radar(axes: [String], series: [RadarSeries], size: Int = 420, title: String) -> String {
        let n = max(axes.count, 3)
        // Side margins wide enough for a label of two lines of radarLabelLine characters, so none is cut.
        let margin = radarLabelLine * 11 + 10
        let width = size + 2 * margin
        let cx = Double(width) / 2, cy = Double(size) / 2 - 10, r = Double(size) / 2 - 80
        func point(_ i: Int, _ v: Double) -> (Double, Double) {
            let a = -Double.pi / 2 + 2 * Double.pi * Double(i) / Double(n)
            return (cx + r * v / 100 * cos(a), cy + r * v / 100 * sin(a))
        }
        var svg = open(width: width, height: size + 10 + series.count * 18, title: title)
        for ring in [25.0, 50, 75, 100] {
            let pts = (0..<n).map { point($0, ring) }.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
            svg += "<polygon points=\"\(pts)\" fill=\"none\" stroke=\"#cfd8dc\" stroke-width=\"1\"/>"
        }
        for (i, label) in axes.enumerated() {
            let (x, y) = point(i, 100)
            let (lx, ly) = point(i, 118)
            svg += "<line x1=\"\(fmt(cx))\" y1=\"\(fmt(cy))\" x2=\"\(fmt(x))\" y2=\"\(fmt(y))\" stroke=\"#cfd8dc\"/>"
            let anchor = abs(lx - cx) < 8 ? "middle" : (lx < cx ? "end" : "start")
            let lines = radarLabelLines(label)
            let top = ly + 4 - Double(lines.count - 1) * 6.5
            svg += "<text x=\"\(fmt(lx))\" y=\"\(fmt(top))\" font-size=\"11\" text-anchor=\"\(anchor)\" fill=\"#333\"><title>\(SafeMarkdown.escape(label))</title>"
            for (k, line) in lines.enumerated() {
                svg += "<tspan x=\"\(fmt(lx))\" dy=\"\(k == 0 ? 0 : 13)\">\(SafeMarkdown.escape(line))</tspan>"
            }
            svg += "</text>"
        }
        for s in series {
            let pts = (0..<n).map { point($0, i2v(s.values, $0)) }.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
            svg += "<polygon points=\"\(pts)\" fill=\"\(s.color)\" fill-opacity=\"0.18\" stroke=\"\(s.color)\" stroke-width=\"2\"/>"
        }
        for (k, s) in series.enumerated() {
            let y = size + k * 18
            svg += "<rect x=\"10\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"28\" y=\"\(y)\" font-size=\"12\" fill=\"#333\">\(SafeMarkdown.escape(s.label))</text>"
        }
        return svg + "</svg>"
    }

    /// Characters per line of a radar label (CJK characters are 11 units wide at font size 11).
    static let radarLabelLine = 7

    /// A label in at most two lines; a longer one ends in "…" (its full text is in the label's title).
    static func radarLabelLines(_ label: String) -> [String] {
        let chars = Array(label)
        if chars.count <= radarLabelLine { return [label] }
        let first = String(chars[0..<radarLabelLine])
        let rest = chars[radarLabelLine...]
        let second = rest.count <= radarLabelLine ? String(rest) : String(rest.prefix(radarLabelLine - 1)) + "…"
        return [first, second]
    }

    private static func i2v(_ values: [Double?], _ i: Int) -> Double { i < values.count ? min(100, max(0, values[i] ?? 0)) : 0 }

    /// Gap bars: benchmark score minus own score per indicator (positive = behind), centred on zero.
    public static func gapBars(_ gaps: [(label: String, gap: Double?)], width: Int = 640, title: String) -> String {
        let rowH = 24, labelW = 200
        let half = Double(width - labelW - 60) / 2
        let zero = Double(labelW) + half
        let maxGap = max(1, gaps.compactMap { $0.gap.map(abs) }.max() ?? 1)
        var svg = open(width: width, height: max(rowH, gaps.count * rowH), title: title)
        svg += "<line x1=\"\(fmt(zero))\" y1=\"0\" x2=\"\(fmt(zero))\" y2=\"\(gaps.count * rowH)\" stroke=\"#90a4ae\"/>"
        for (i, g) in gaps.enumerated() {
            let y = i * rowH
            svg += "<text x=\"0\" y=\"\(y + 16)\" font-size=\"13\" fill=\"#333\">\(SafeMarkdown.escape(String(g.label.prefix(14))))</text>"
            guard let gap = g.gap else {
                svg += "<text x=\"\(fmt(zero + 6))\" y=\"\(y + 16)\" font-size=\"12\" fill=\"#999\">—</text>"
                continue
            }
            let w = half * abs(gap) / maxGap
            let x = gap > 0 ? zero - w : zero
            svg += "<rect x=\"\(fmt(x))\" y=\"\(y + 4)\" width=\"\(fmt(w))\" height=\"14\" fill=\"\(gap > 0 ? "#c62828" : "#2e7d32")\"/>"
            svg += "<text x=\"\(fmt(zero + half + 6))\" y=\"\(y + 16)\" font-size=\"12\" fill=\"#333\">\(gap > 0 ? "差距 " : "领先 ")\(String(format: "%.2f", abs(gap)))</text>"
        }
        return svg + "</svg>"
    }

    private static func open(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(SafeMarkdown.escape(title))\"><title>\(SafeMarkdown.escape(title))</title>"
    }
}

extension SVGChart {
    /// Scores across rounds: a 0–100 axis, one labelled column per round, one line per region. A round without a
    /// score breaks the line rather than drawing it through zero.
    public static func trendLines(labels: [String], lines: [(name: String, values: [Double?])], width: Int = 640, title: String) -> String {
        let palette = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"]
        // Room on both sides for half of a round's label ("2026年第1季度") centred under the first and last points.
        let left = 60.0, right = 52.0, top = 12.0, plotH = 160.0
        let legendRows = (lines.count + 2) / 3
        let height = Int(top + plotH + 28) + legendRows * 18 + 4
        let plotW = Double(width) - left - right
        func x(_ i: Int) -> Double { labels.count <= 1 ? left + plotW / 2 : left + plotW * Double(i) / Double(labels.count - 1) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(100, max(0, v)) / 100) }
        var svg = open(width: width, height: height, title: title)
        for tick in stride(from: 0, through: 100, by: 25) {
            let ty = y(Double(tick))
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(ty))\" x2=\"\(fmt(left + plotW))\" y2=\"\(fmt(ty))\" stroke=\"#e0e0e0\"/>"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(ty + 4))\" font-size=\"11\" fill=\"#666\" text-anchor=\"end\">\(tick)</text>"
        }
        for (i, label) in labels.enumerated() {
            svg += "<text x=\"\(fmt(x(i)))\" y=\"\(fmt(top + plotH + 18))\" font-size=\"11\" fill=\"#333\" text-anchor=\"middle\">\(SafeMarkdown.escape(String(label.prefix(12))))</text>"
        }
        for (n, line) in lines.enumerated() {
            let color = palette[n % palette.count]
            // Runs of consecutive scored rounds, each drawn as one polyline.
            var runs: [[(Int, Double)]] = [[]]
            for (i, v) in line.values.enumerated() {
                if let v { runs[runs.count - 1].append((i, v)) } else if !(runs.last?.isEmpty ?? true) { runs.append([]) }
            }
            for run in runs where run.count > 1 {
                let points = run.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            }
            for (i, v) in line.values.enumerated() {
                guard let v else { continue }
                svg += "<circle cx=\"\(fmt(x(i)))\" cy=\"\(fmt(y(v)))\" r=\"3.5\" fill=\"\(color)\"><title>\(SafeMarkdown.escape(line.name)) \(SafeMarkdown.escape(labels[i])) \(String(format: "%.2f", v))</title></circle>"
            }
            let lx = left + Double(n % 3) * (plotW / 3), ly = top + plotH + 36 + Double(n / 3) * 18
            svg += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(ly - 9))\" width=\"12\" height=\"4\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(fmt(lx + 16))\" y=\"\(fmt(ly - 4))\" font-size=\"12\" fill=\"#333\">\(SafeMarkdown.escape(String(line.name.prefix(14))))</text>"
        }
        return svg + "</svg>"
    }
}
