import Testing
@testable import YingshangCore

@Suite("USCC validation")
struct USCCTests {
    @Test("REFERENCE.md valid examples pass", arguments: ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"])
    func validExamples(code: String) {
        #expect(USCC.validate(code) == nil)
    }

    @Test("a fragment made only of the code's alphabet could be part of a code; Chinese text, I, O, S, V, Z and lower case cannot")
    func fragments() {
        #expect(USCC.couldContain("913707"))
        #expect(USCC.couldContain("M000100Y"))
        #expect(!USCC.couldContain("青山"))
        #expect(!USCC.couldContain("91O"))
        #expect(!USCC.couldContain("abc"))
        #expect(!USCC.couldContain(""))
    }

    @Test("wrong check character is reported with the expected one")
    func wrongCheck() {
        #expect(USCC.validate("911100001000013796") == .wrongCheckCharacter(expected: "5", found: "6"))
    }

    @Test("lowercase is rejected, naming the position")
    func lowercase() {
        #expect(USCC.validate("91350100m000100Y43") == .forbiddenCharacter("m", position: 9))
    }

    @Test("wrong length", arguments: ["", "9135010", "91350100M000100Y431"])
    func wrongLength(code: String) {
        #expect(USCC.validate(code) == .wrongLength(code.count))
    }

    @Test("forbidden letters I O Z S V", arguments: ["I", "O", "Z", "S", "V"])
    func forbiddenLetters(letter: String) {
        let code = "9135010" + letter + "M000100Y43"
        #expect(USCC.validate(code) == .forbiddenCharacter(Character(letter), position: 8))
    }

    @Test("check character computation matches every valid example")
    func computesCheck() {
        #expect(USCC.checkCharacter(for: "91350100M000100Y4") == "3")
        #expect(USCC.checkCharacter(for: "91110000802100433") == "B")
    }

    @Test("messages are Chinese and name the problem")
    func messages() {
        #expect(USCC.Problem.wrongLength(5).message.contains("18 位"))
        #expect(USCC.Problem.wrongCheckCharacter(expected: "5", found: "6").message.contains("应为 5"))
    }
}

@Suite("Administrative-division codes")
struct DivisionCodeTests {
    @Test func validCounty() {
        #expect(DivisionCode.validateCounty("370725") == nil)
        #expect(DivisionCode.validate("370725", level: .county, parentCode: nil) == nil)
    }

    @Test("county codes must be 6 digits", arguments: ["37072", "3707250", "37072a", "３７０７２５", ""])
    func badCounty(code: String) {
        #expect(DivisionCode.validateCounty(code) != nil)
    }

    @Test func unknownProvince() {
        #expect(DivisionCode.validateCounty("990101")?.contains("省级") == true)
    }

    @Test func township() {
        #expect(DivisionCode.validate("370725001", level: .township, parentCode: "370725") == nil)
        #expect(DivisionCode.validate("370725001000", level: .township, parentCode: "370725") == nil)
        #expect(DivisionCode.validate("370726001", level: .township, parentCode: "370725") != nil)
        #expect(DivisionCode.validate("370725", level: .township, parentCode: "370725") != nil)
    }
}
