import Foundation

/// Small server-side SVG charts (no JavaScript): a stacked status bar and horizontal progress bars.
public enum SVGChart {
    public struct Segment: Sendable {
        public let label: String
        public let value: Int
        public let color: String

        public init(label: String, value: Int, color: String) {
            self.label = label
            self.value = value
            self.color = color
        }
    }

    /// One 100% bar split by segment, with a legend underneath.
    public static func stackedBar(_ segments: [Segment], width: Int = 640, title: String) -> String {
        let total = max(1, segments.reduce(0) { $0 + $1.value })
        var x = 0.0
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) 78\" role=\"img\" aria-label=\"\(SafeMarkdown.escape(title))\">"
        svg += "<title>\(SafeMarkdown.escape(title))</title>"
        for s in segments where s.value > 0 {
            let w = Double(width) * Double(s.value) / Double(total)
            svg += "<rect x=\"\(fmt(x))\" y=\"0\" width=\"\(fmt(w))\" height=\"34\" fill=\"\(s.color)\"><title>\(SafeMarkdown.escape(s.label))：\(s.value)</title></rect>"
            if w > 28 {
                svg += "<text x=\"\(fmt(x + w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" fill=\"#fff\">\(s.value)</text>"
            }
            x += w
        }
        var lx = 0
        for s in segments {
            svg += "<rect x=\"\(lx)\" y=\"52\" width=\"12\" height=\"12\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"\(lx + 16)\" y=\"63\" font-size=\"13\" fill=\"#333\">\(SafeMarkdown.escape(s.label)) \(s.value)</text>"
            lx += 16 + (s.label.count + String(s.value).count + 1) * 13 + 14
        }
        return svg + "</svg>"
    }

    public struct Bar: Sendable {
        public let label: String
        public let done: Int
        public let total: Int
        public let late: Int

        public init(label: String, done: Int, total: Int, late: Int) {
            self.label = label
            self.done = done
            self.total = total
            self.late = late
        }
    }

    /// One row per unit: handed-in share in green, late count in red text.
    public static func progressBars(_ bars: [Bar], width: Int = 640, title: String) -> String {
        let rowH = 24
        let labelW = 230
        let barW = Double(width - labelW - 90)
        let height = max(rowH, bars.count * rowH)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(SafeMarkdown.escape(title))\">"
        svg += "<title>\(SafeMarkdown.escape(title))</title>"
        for (i, b) in bars.enumerated() {
            let y = i * rowH
            let share = b.total > 0 ? Double(b.done) / Double(b.total) : 0
            svg += "<text x=\"0\" y=\"\(y + 16)\" font-size=\"13\" fill=\"#333\">\(SafeMarkdown.escape(String(b.label.prefix(16))))</text>"
            svg += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(fmt(barW))\" height=\"14\" fill=\"#eceff1\"/>"
            svg += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(fmt(barW * share))\" height=\"14\" fill=\"#2e7d32\"/>"
            let late = b.late > 0 ? " 逾期\(b.late)" : ""
            svg += "<text x=\"\(fmt(Double(labelW) + barW + 6))\" y=\"\(y + 16)\" font-size=\"12\" fill=\"\(b.late > 0 ? "#c62828" : "#333")\">\(b.done)/\(b.total)\(late)</text>"
        }
        return svg + "</svg>"
    }

    static func fmt(_ d: Double) -> String { String(format: "%.1f", d) }
}
