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
