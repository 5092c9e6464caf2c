import Foundation
import Testing
@testable import YingshangCore

/// The letters' QR codes are checked by what a phone does with them: a real decoder (zbar, Debian's zbar-tools,
/// installed by .ci/run) must read back exactly the bytes encoded. Capacities come from ISO/IEC 18004 table 7.
@Suite("QR codes")
struct QRCodeTests {
    /// Byte-mode capacity at level M by version, from the standard's table (not from the encoder).
    static let publishedCapacity: [(version: Int, bytes: Int)] = [
        (1, 14), (2, 26), (3, 42), (4, 62), (5, 84), (6, 106), (7, 122), (10, 213), (20, 666), (40, 2331),
    ]

    @Test("the smallest version that holds the text is chosen, at the standard's capacities")
    func versions() throws {
        for (version, bytes) in Self.publishedCapacity {
            let fits = try QRCode.encode(bytes: Array(repeating: 0x61, count: bytes))
            #expect(fits.version == version, "\(bytes) bytes")
            #expect(fits.size == 17 + 4 * version)
            if version < 40 {
                #expect(try QRCode.encode(bytes: Array(repeating: 0x61, count: bytes + 1)).version > version)
            }
        }
        #expect(throws: QRCode.TooLong.self) { try QRCode.encode(bytes: Array(repeating: 0x61, count: 2332)) }
    }

    @Test("a real decoder reads back survey links, Chinese text and every size class")
    func decodesWithZbar() throws {
        let zbar = try #require(
            ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "zbarimg is missing: install Debian's zbar-tools (.ci/run does)")
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        func random(_ n: Int) -> String { String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }) }
        let texts = [
            "https://yingshang.example.gov.cn/s/\(random(32))",
            "http://127.0.0.1:8080/s/\(random(24))",
            "A",
            "营商环境企业问卷·查询码 7KQ2XZ",
            random(14), random(15), random(122), random(123), random(400), random(1200), random(2331),
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, text) in texts.enumerated() {
            let code = try QRCode.encode(text)
            let file = dir.appendingPathComponent("\(i).pgm")
            try code.pgm(scale: code.version > 20 ? 3 : 4).write(to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: zbar)
            process.arguments = ["--raw", "-q", "-Sbinary", file.path]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "zbar found no code in version \(code.version)")
            var decoded = data
            if decoded.last == 0x0A { decoded.removeLast() }
            #expect(decoded == Data(text.utf8), "version \(code.version), mask \(code.mask): \(String(decoding: decoded, as: UTF8.self))")
        }
    }

    @Test("the SVG has the quiet zone and one square per dark module")
    func svg() throws {
        let code = try QRCode.encode("http://127.0.0.1/s/abc")
        let svg = code.svg(moduleSize: 3, label: "问卷<链接>")
        let side = (code.size + 8) * 3
        #expect(svg.contains("width=\"\(side)\""))
        #expect(svg.contains("aria-label=\"问卷&lt;链接&gt;\""))
        // The three finder patterns' top rows: 7 dark modules drawn as one run starting at the quiet zone.
        #expect(svg.contains("M12 12h21v3h-21z"))
    }
}
