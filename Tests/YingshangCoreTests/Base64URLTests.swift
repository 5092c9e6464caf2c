import Foundation
import Testing
@testable import YingshangCore

@Suite("Base64url tokens")
struct Base64URLTests {
    @Test("equals Foundation's base64 with the URL alphabet and no padding, for every length up to 70 and random bytes")
    func agreesWithFoundation() {
        var rng = SystemRandomNumberGenerator()
        for length in 0...70 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let reference = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
                #expect(Base64URL.encode(bytes) == reference, "\(bytes)")
            }
        }
        // RFC 4648 §10's vectors, unpadded.
        #expect(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map { Base64URL.encode(Array($0.utf8)) }
            == ["", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"])
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([UInt8](repeating: 0, count: 32)).count == 43)
    }
}

extension Base64URLTests {
    @Test("random tokens: 43 URL-safe characters for 32 bytes, never repeated, every character of the alphabet in use")
    func randomTokens() {
        let tokens = (0..<2000).map { _ in Base64URL.randomToken() }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.utf8.count == 43 })
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(Set(tokens.joined()) == alphabet)
        #expect(Base64URL.randomToken(bytes: 3).utf8.count == 4)
    }
}
