import Foundation

/// The secret in an enterprise's survey link. Its last six characters are the 查询码 printed on the letter and read out
/// over the phone, so the alphabet leaves out what is misheard or misread (0/O, 1/I/L) and anything a spreadsheet
/// takes for a formula (a leading "-"): digits 2–9 and capitals. 26 characters of 31 symbols carry 128.8 random bits.
public enum SurveyToken {
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    public static let length = 26
    public static let codeLength = 6

    /// From the system's cryptographic generator unless a test passes its own.
    public static func generate<G: RandomNumberGenerator>(using rng: inout G) -> String {
        String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// The 查询码 of a token (older tokens were base64url; their code is upper-cased as before).
    public static func code(of token: String) -> String { String(token.suffix(codeLength)).uppercased() }
}
