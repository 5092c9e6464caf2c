import Foundation
import Testing
@testable import YingshangCore

@Suite("A survey submission's JSON body read without Foundation")
struct SubmissionJSONTests {
    struct Reference: Decodable, Equatable {
        var token: String?
        var answers: [String: String]?
    }

    /// Foundation's reading of the same bytes (nil: it refuses them).
    func foundation(_ bytes: [UInt8]) -> SubmissionJSON.Body? {
        guard let r = try? JSONDecoder().decode(Reference.self, from: Data(bytes)) else { return nil }
        return SubmissionJSON.Body(token: r.token, answers: r.answers)
    }

    @Test("the plain shape is read, and read as Foundation reads it")
    func plain() throws {
        let samples = [
            #"{"token":"abc","answers":{"a.used":"是","a.days":"3"}}"#,
            #" { "answers" : { } , "token" : "t" } "#,
            "{\"token\":\"t\",\n\t\"answers\":{\"q\":\"say \\\"hi\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u4e2d \\ud83d\\ude00 \\u0000\"}}\r\n",
            #"{}"#, #"{"token":null,"answers":null}"#, #"{"answers":{"k":""}}"#,
            #"{"tok\u0065n":"x"}"#,
        ]
        for s in samples {
            let fast = try #require(SubmissionJSON.parse(Array(s.utf8)), "\(s)")
            #expect(fast == foundation(Array(s.utf8)), "\(s)")
        }
        #expect(SubmissionJSON.parse(Array(#"{"token":"a","answers":{"x":"中"}}"#.utf8)) == .init(token: "a", answers: ["x": "中"]))
    }

    @Test("anything else is left to Foundation (nil), never read differently")
    func others() {
        let samples = [
            "", "null", "[]", #"{"token":1}"#, #"{"answers":{"a":1}}"#, #"{"answers":{"a":{"b":"c"}}}"#,
            #"{"token":"a","token":"b"}"#, #"{"answers":{},"answers":{"a":"1"}}"#, #"{"answers":null,"answers":null}"#, #"{"answers":{"a":"1","a":"2"}}"#, #"{"answers":{"é":"1","e\u0301":"2"}}"#,
            #"{"other":"x"}"#, #"{"token":"a"} x"#, #"{"token":"a",}"#, #"{"token":"\ud800"}"#, #"{"token":"\udc00"}"#,
            #"{"token":"\x"}"#, "{\"token\":\"a\tb\"}", #"{"token":"a"#, #"{"token""a"}"#, "\u{FEFF}{}",
        ]
        for s in samples { #expect(SubmissionJSON.parse(Array(s.utf8)) == nil, "\(s)") }
        // Bytes that are not UTF-8.
        #expect(SubmissionJSON.parse(Array(#"{"token":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)) == nil)
    }

    @Test("on random bodies and their mutations, whatever is read equals Foundation's reading")
    func differential() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["a", "中", "是", "😀", "\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", " ", ".", "\\/", "\\u0000", "e\u{301}"]
        func text() -> String { (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "a" }.joined() }
        let noise: [UInt8] = Array("{}[]:,\" \\n1tu\t".utf8) + [0xE4, 0xFF]
        var readFast = 0
        var agreedRefusals = 0
        for round in 0..<3000 {
            let members = (0..<Int.random(in: 0...6, using: &rng)).map { _ in "\"\(text())\":\"\(text())\"" }.joined(separator: ",")
            let body = Bool.random(using: &rng)
                ? "{\"token\":\"\(text())\",\"answers\":{\(members)}}" : "{ \"answers\" : {\(members)} }"
            var bytes = Array(body.utf8)
            if round % 2 == 1 {
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes.remove(at: i)
                    case 1: bytes.insert(noise.randomElement(using: &rng) ?? 0x20, at: i)
                    default: bytes[i] = noise.randomElement(using: &rng) ?? 0x20
                    }
                }
            }
            let reference = foundation(bytes)
            if let fast = SubmissionJSON.parse(bytes) {
                readFast += 1
                #expect(fast == reference, "\(String(decoding: bytes, as: UTF8.self))")
            } else if reference == nil {
                agreedRefusals += 1
            }
        }
        // Many bodies take the quick path (not all: random keys repeat, and a lone surrogate goes to Foundation);
        // many mutated ones are refused by both.
        #expect(readFast > 300)
        #expect(agreedRefusals > 300)
    }
}

extension SubmissionJSONTests {
    @Test("a JSON content type is recognised with parameters and in any case; nothing else is")
    func contentType() {
        for yes in ["application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;x=y"] {
            #expect(SubmissionJSON.isJSON(contentType: yes), "\(yes)")
        }
        for no in [nil, "", "application/jsonx", "text/json", "application/x-www-form-urlencoded", "application/json-seq"] {
            #expect(!SubmissionJSON.isJSON(contentType: no), "\(no ?? "nil")")
        }
    }
}

extension SubmissionJSONTests {
    @Test("a register row's extra columns: a flat object of strings read as Foundation reads it, anything else nil")
    func stringObject() {
        func reference(_ s: String) -> [String: String]? { try? JSONDecoder().decode([String: String].self, from: Data(s.utf8)) }
        for s in [#"{"从业人员":"2553"}"#, #" { "a" : "1" , "b":"\u4e2d\"" } "#, "{}", #"{"k":""}"#] {
            #expect(SubmissionJSON.stringObject(s) != nil, "\(s)")
            #expect(SubmissionJSON.stringObject(s) == reference(s), "\(s)")
        }
        // Numbers, nesting, repeated keys, trailing text, arrays: left to Foundation.
        for s in [#"{"a":1}"#, #"{"a":{"b":"c"}}"#, #"{"a":"1","a":"2"}"#, #"{"a":"1"} x"#, "[]", "", #"{"a":"\ud800"}"#] {
            #expect(SubmissionJSON.stringObject(s) == nil, "\(s)")
        }
        #expect(SubmissionJSON.stringObject(#"{"从业人员":"41","注册资本":"100万"}"#) == ["从业人员": "41", "注册资本": "100万"])
    }
}
