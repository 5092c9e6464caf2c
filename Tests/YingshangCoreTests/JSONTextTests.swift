import Foundation
import Testing
@testable import YingshangCore

@Suite("JSON text of answer maps")
struct JSONTextTests {
    @Test("written by hand as RFC 8259 says, keys sorted")
    func handWritten() {
        #expect(JSONText.object([:]) == "{}")
        #expect(JSONText.object(["b": "2", "a": "是"]) == #"{"a":"是","b":"2"}"#)
        #expect(JSONText.object(["q": "say \"hi\"\\ \n\t\r\u{1}"]) == #"{"q":"say \"hi\"\\ \n\t\r\u0001"}"#)
    }

    @Test("read back by Foundation's decoder unchanged, for awkward text")
    func roundTrip() throws {
        let awkward: [String: String] = [
            "a.used": "是", "quote\"key": "back\\slash", "ctl": "\u{0}\u{1F}\u{7F}", "line": "\u{2028}\u{2029}",
            "emoji": "👩‍👩‍👧 🇨🇳", "combining": "e\u{301}", "empty": "", "spaces": "  \n ",
        ]
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(JSONText.object(awkward).utf8))
        #expect(decoded == awkward)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let pool: [Unicode.Scalar] = ["\"", "\\", "\n", "\u{0}", "\u{1B}", "a", "中", "\u{FFFF}", "😀", " ", "/"]
            func random() -> String { String(String.UnicodeScalarView((0..<Int.random(in: 0...8, using: &rng)).map { _ in pool.randomElement(using: &rng) ?? "a" })) }
            let map = Dictionary((0..<5).map { _ in (random(), random()) }, uniquingKeysWith: { a, _ in a })
            #expect(try JSONDecoder().decode([String: String].self, from: Data(JSONText.object(map).utf8)) == map)
        }
    }

    @Test("trimming agrees with Foundation's, also where it takes the quick path")
    func trimming() {
        let samples = ["", " ", "否", " 否", "否\n", "\u{3000}是\u{3000}", "\t4\r\n", "a b", "\u{85}x", "x\u{A0}", "\u{200B}y"]
        for s in samples { #expect(s.trimmedWhitespace == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(s.unicodeScalars))") }
    }
}

@Suite("Quick paths of answer checking")
struct AnswerQuickPathTests {
    /// The parser before its ASCII quick path: NFKC, Foundation's trimming, Double.
    func reference(_ raw: String) -> Double? {
        let text = raw.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, let d = Double(text), d.isFinite else { return nil }
        return d
    }

    @Test("a filed number reads the same with and without the quick path")
    func numbers() {
        let fixed = ["3", " 3", "3\u{0B}", "\u{0C}3", "1e3", "0x1p3", "inf", "nan", "-0", "+5", ".5", "5.", "1e400", "１２", "3\u{A0}", "\u{3000}4", "", "e"]
        for s in fixed { #expect(FiledNumber.parse(s) == reference(s), "\(s)") }
        var rng = SystemRandomNumberGenerator()
        let pool: [String] = ["0", "1", "9", ".", "-", "+", "e", "E", "x", " ", "\t", "\n", "\u{0B}", "\u{0C}", "１", "．", "\u{A0}", "a", "p"]
        for _ in 0..<5000 {
            let s = (0..<Int.random(in: 0...7, using: &rng)).map { _ in pool.randomElement(using: &rng) ?? "0" }.joined()
            #expect(FiledNumber.parse(s) == reference(s), "\(Array(s.unicodeScalars))")
        }
    }

    @Test("trimming agrees with Foundation's on random ends")
    func trimming() {
        var rng = SystemRandomNumberGenerator()
        let pool: [String] = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{3000}", "\u{2028}", "a", "是", "1", "\u{1F}", "\u{200B}"]
        for _ in 0..<5000 {
            let s = (0..<Int.random(in: 0...5, using: &rng)).map { _ in pool.randomElement(using: &rng) ?? "a" }.joined()
            #expect(s.trimmedWhitespace == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(s.unicodeScalars))")
        }
    }

    @Test("every control byte is escaped as JSON requires")
    func controlBytes() throws {
        let all = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        let text = JSONText.object(["k": all])
        #expect(!text.utf8.contains { $0 < 0x20 })
        #expect(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) == ["k": all])
    }

    @Test("the answers that count are those of the plain rule: items under a screening question answered 否 dropped")
    func applicable() {
        let template = SurveyTemplate.standard(indicators: [("starting_business", "开办企业"), ("paying_taxes", "纳税"), ("labor_market", "劳动力市场监管")])
        let checker = SurveyChecker(template)
        // The rule as first written: each item looks its screening answer up.
        func reference(_ answers: [String: String]) -> [String: String] {
            answers.filter { code, _ in
                guard let condition = template.items.first(where: { $0.code == code })?.askedIf else { return true }
                return answers[condition]?.trimmingCharacters(in: .whitespacesAndNewlines) != "否"
            }
        }
        var rng = SystemRandomNumberGenerator()
        let codes = template.items.map(\.code) + ["unknown.item"]
        let values = ["是", "否", " 否\n", "4", "", "否否"]
        var dropped = 0
        for _ in 0..<2000 {
            let answers = Dictionary(
                (0..<Int.random(in: 0...12, using: &rng)).map { _ in (codes.randomElement(using: &rng) ?? "", values.randomElement(using: &rng) ?? "") },
                uniquingKeysWith: { a, _ in a })
            let expected = reference(answers)
            #expect(checker.applicable(answers) == expected, "\(answers)")
            if expected.count < answers.count { dropped += 1 }
        }
        #expect(dropped > 100)
    }

    @Test("no scalar above U+3000 is white space to Foundation (the trimming's quick test relies on it)")
    func noWhitespaceAboveIdeographicSpace() {
        var found: [UInt32] = []
        for v in UInt32(0x3001)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            if CharacterSet.whitespacesAndNewlines.contains(scalar) || CharacterSet.whitespaces.contains(scalar) { found.append(v) }
        }
        #expect(found.isEmpty, "\(found.map { String($0, radix: 16) })")
        // And the quick test still asks the set below it.
        #expect(String.mayBeWhitespace("\u{3000}", in: .whitespaces))
        #expect(String.mayBeWhitespace("\u{200B}", in: .whitespaces) == CharacterSet.whitespaces.contains("\u{200B}"))
        #expect(!String.mayBeWhitespace("是", in: .whitespacesAndNewlines))
    }

    @Test("answers written in the template's order are the bytes JSONText.object writes")
    func checkerJSON() {
        let template = SurveyTemplate.standard(indicators: [("starting_business", "开办企业"), ("paying_taxes", "纳税"), ("labor_market", "劳动力市场监管")])
        let checker = SurveyChecker(template)
        var rng = SystemRandomNumberGenerator()
        // Codes of the template, codes it does not have, and a template code in decomposed form.
        let codes = template.items.map(\.code) + ["unknown.item", "", "é", "e\u{301}", "\"quoted\""]
        let values = ["是", "否", "4", "say \"hi\"\n", "", "\u{1}"]
        var orderedPath = 0
        for _ in 0..<3000 {
            let answers = Dictionary(
                (0..<Int.random(in: 0...(template.items.count + 3), using: &rng)).map { _ in
                    (codes.randomElement(using: &rng) ?? "", values.randomElement(using: &rng) ?? "")
                },
                uniquingKeysWith: { a, _ in a })
            #expect(checker.json(answers) == JSONText.object(answers), "\(answers)")
            if answers.keys.allSatisfy({ k in template.items.contains { $0.code == k } }) { orderedPath += 1 }
        }
        // Every code of the template answered: the common case.
        let all = Dictionary(uniqueKeysWithValues: template.items.map { ($0.code, "4") })
        #expect(checker.json(all) == JSONText.object(all))
        #expect(orderedPath > 100)
    }

    @Test("cleaned answers are the plain rule's: trimmed, empty ones dropped")
    func cleaned() {
        var rng = SystemRandomNumberGenerator()
        let values = ["是", " 否", "否\n", "", " ", "\u{3000}", "4", "a b", "\u{200B}"]
        for _ in 0..<3000 {
            let raw = Dictionary(
                (0..<Int.random(in: 0...6, using: &rng)).map { i in ("q\(i)", values.randomElement(using: &rng) ?? "") },
                uniquingKeysWith: { a, _ in a })
            let expected = raw.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.value.isEmpty }
            #expect(SurveyChecker.cleaned(raw) == expected, "\(raw)")
        }
    }
}
