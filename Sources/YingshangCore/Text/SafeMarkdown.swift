import Foundation

/// A small Markdown subset rendered to HTML with every character of the source escaped first, so a filing guide
/// can never inject markup or script: headings (#–###), bullet and numbered lists, paragraphs, **bold**,
/// `code`, and [links](https://…) limited to http(s).
public enum SafeMarkdown {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    public static func render(_ markdown: String) -> String {
        var html: [String] = []
        var paragraph: [String] = []
        var list: (ordered: Bool, items: [String])? = nil

        func flushParagraph() {
            if !paragraph.isEmpty {
                html.append("<p>" + paragraph.map(inline).joined(separator: "<br>") + "</p>")
                paragraph = []
            }
        }
        func flushList() {
            if let l = list {
                let tag = l.ordered ? "ol" : "ul"
                html.append("<\(tag)>" + l.items.map { "<li>\(inline($0))</li>" }.joined() + "</\(tag)>")
                list = nil
            }
        }

        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                flushParagraph()
                flushList()
                continue
            }
            if let level = headingLevel(line) {
                flushParagraph()
                flushList()
                let text = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
                html.append("<h\(level + 2)>\(inline(text))</h\(level + 2)>")
                continue
            }
            if line.hasPrefix("- ") || line.hasPrefix("* ") {
                flushParagraph()
                if list?.ordered == true { flushList() }
                if list == nil { list = (false, []) }
                list?.items.append(String(line.dropFirst(2)))
                continue
            }
            if let rest = orderedItem(line) {
                flushParagraph()
                if list?.ordered == false { flushList() }
                if list == nil { list = (true, []) }
                list?.items.append(rest)
                continue
            }
            flushList()
            paragraph.append(line)
        }
        flushParagraph()
        flushList()
        return html.joined(separator: "\n")
    }

    /// 1–3 for "#", "##", "###" followed by a space.
    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix(while: { $0 == "#" }).count
        guard (1...3).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    static func orderedItem(_ line: String) -> String? {
        let digits = line.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 3 else { return nil }
        let rest = line.dropFirst(digits.count)
        guard rest.hasPrefix(". ") else { return nil }
        return String(rest.dropFirst(2))
    }

    /// Escapes, then applies **bold**, `code` and http(s) links on the escaped text.
    static func inline(_ text: String) -> String {
        var s = escape(text)
        s = replacePairs(s, marker: "**", open: "<strong>", close: "</strong>")
        s = replacePairs(s, marker: "`", open: "<code>", close: "</code>")
        return links(s)
    }

    static func replacePairs(_ s: String, marker: String, open: String, close: String) -> String {
        let parts = s.components(separatedBy: marker)
        guard parts.count >= 3 else { return s }
        var out = ""
        for (i, part) in parts.enumerated() {
            if i == 0 {
                out += part
            } else if i % 2 == 1 && i < parts.count - (parts.count % 2 == 0 ? 1 : 0) {
                out += open + part
            } else if i % 2 == 0 {
                out += close + part
            } else {
                out += marker + part
            }
        }
        return out
    }

    /// `[label](https://…)` on already-escaped text; anything but http(s) stays as text.
    static func links(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            let afterOpen = rest[rest.index(after: open)...]
            guard let close = afterOpen.firstIndex(of: "]"), afterOpen[afterOpen.index(after: close)...].hasPrefix("("),
                let end = afterOpen[close...].firstIndex(of: ")")
            else {
                out += "["
                rest = afterOpen
                continue
            }
            let label = afterOpen[..<close]
            let url = afterOpen[afterOpen.index(close, offsetBy: 2)..<end]
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                out += "<a href=\"\(url)\" rel=\"noopener noreferrer\">\(label)</a>"
            } else {
                out += "[\(label)](\(url))"
            }
            rest = afterOpen[afterOpen.index(after: end)...]
        }
        out += rest
        return out
    }
}
