/// Unified Social Credit Code (统一社会信用代码, GB 32100-2015).
public enum USCC {
    /// The 31 characters allowed, in value order 0...30 (no I, O, Z, S, V).
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    public enum Problem: Equatable, Sendable {
        case wrongLength(Int)
        case forbiddenCharacter(Character, position: Int)
        case wrongCheckCharacter(expected: Character, found: Character)

        public var message: String {
            switch self {
            case .wrongLength(let n):
                return "统一社会信用代码应为 18 位，实际为 \(n) 位"
            case .forbiddenCharacter(let c, let p):
                return "统一社会信用代码第 \(p) 位字符“\(c)”不合法（不得使用小写字母及 I、O、Z、S、V）"
            case .wrongCheckCharacter(let expected, let found):
                return "统一社会信用代码校验位错误：应为 \(expected)，实际为 \(found)"
            }
        }
    }

    static func value(of c: Character) -> Int? { alphabet.firstIndex(of: c) }

    /// The check character for the first 17 characters, or nil when one of them is not allowed.
    public static func checkCharacter(for first17: some Collection<Character>) -> Character? {
        let chars = Array(first17)
        guard chars.count == 17 else { return nil }
        var sum = 0
        for (i, c) in chars.enumerated() {
            guard let v = value(of: c) else { return nil }
            sum += v * weights[i]
        }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// Validates a code exactly as written: lowercase is rejected, because registers must hold the official form.
    public static func validate(_ code: String) -> Problem? {
        let chars = Array(code)
        guard chars.count == 18 else { return .wrongLength(chars.count) }
        for (i, c) in chars.enumerated() where value(of: c) == nil {
            return .forbiddenCharacter(c, position: i + 1)
        }
        guard let expected = checkCharacter(for: chars[0..<17]) else { return .wrongLength(chars.count) }
        if expected != chars[17] { return .wrongCheckCharacter(expected: expected, found: chars[17]) }
        return nil
    }

    public static func isValid(_ code: String) -> Bool { validate(code) == nil }

    /// Whether `fragment` could be part of a valid code (only the code's alphabet): a search for Chinese text need
    /// not look at credit codes at all.
    public static func couldContain(_ fragment: String) -> Bool {
        !fragment.isEmpty && fragment.allSatisfy { alphabet.contains($0) }
    }

    /// A valid code made from a six-character prefix and a number (distinct numbers give distinct codes below
    /// 31^11), for synthetic registers and tests.
    public static func synthetic(_ n: Int, prefix: String = "913707") -> String {
        var body = String(prefix.prefix(6))
        var v = n
        for _ in 0..<11 {
            body.append(alphabet[v % 31])
            v /= 31
        }
        return body + String(checkCharacter(for: Array(body)) ?? "0")
    }
}
