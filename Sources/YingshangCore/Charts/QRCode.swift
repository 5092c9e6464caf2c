import Foundation

/// A QR code (ISO/IEC 18004) for the survey links printed on invitation letters, so an enterprise can open its
/// survey by scanning with WeChat or a phone camera instead of typing a 60-character address.
///
/// Byte mode, error-correction level M (about 15 % of the symbol may be damaged), the smallest version that fits
/// (1–40), and the mask with the lowest penalty score, as the standard prescribes. The tables and the module placement
/// follow the standard's annexes; the test decodes the result with a real decoder (zbar) rather than comparing bits.
public struct QRCode: Equatable, Sendable {
    public struct TooLong: Error, Equatable, CustomStringConvertible {
        public let bytes: Int
        public var description: String { "内容 \(bytes) 字节，超过二维码容量（纠错等级 M 最多 2331 字节）" }
    }

    /// Modules per side (21 for version 1, +4 per version).
    public let size: Int
    public let version: Int
    /// The mask pattern chosen (0–7).
    public let mask: Int
    /// `modules[row][column]`, true = dark.
    public let modules: [[Bool]]

    public func isDark(row: Int, column: Int) -> Bool { modules[row][column] }

    // MARK: Encoding

    public static func encode(_ text: String) throws -> QRCode {
        try encode(bytes: Array(text.utf8))
    }

    public static func encode(bytes: [UInt8]) throws -> QRCode {
        guard let version = (1...40).first(where: { v in
            4 + countBits(v) + bytes.count * 8 <= dataCodewords(v) * 8
        }) else { throw TooLong(bytes: bytes.count) }

        // Segment: mode indicator "byte" (0100), character count, the bytes; then terminator and padding.
        var bits = BitBuffer()
        bits.append(0x4, count: 4)
        bits.append(UInt32(bytes.count), count: countBits(version))
        for b in bytes { bits.append(UInt32(b), count: 8) }
        let capacity = dataCodewords(version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var data = bits.bytes
        var pad: UInt8 = 0xEC
        while data.count < dataCodewords(version) {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }

        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.drawCodewords(interleaved(data, version: version))

        // The standard's choice: the mask with the lowest penalty.
        let candidates = (0..<8).map { mask -> (mask: Int, penalty: Int, modules: [[Bool]]) in
            var candidate = grid
            candidate.applyMask(mask)
            candidate.drawFormatBits(mask: mask)
            return (mask, candidate.penalty(), candidate.modules)
        }
        guard let chosen = candidates.min(by: { $0.penalty < $1.penalty }) else { throw TooLong(bytes: bytes.count) }
        return QRCode(size: grid.size, version: version, mask: chosen.mask, modules: chosen.modules)
    }

    // MARK: Rendering

    /// An SVG of the code with the standard's 4-module quiet zone; `moduleSize` in user units (pixels).
    public func svg(moduleSize: Int = 4, label: String = "二维码") -> String {
        let quiet = 4
        let side = (size + 2 * quiet) * moduleSize
        var path = ""
        for r in 0..<size {
            var c = 0
            while c < size {
                guard modules[r][c] else { c += 1; continue }
                let start = c
                while c < size && modules[r][c] { c += 1 }
                path += "M\((start + quiet) * moduleSize) \((r + quiet) * moduleSize)h\((c - start) * moduleSize)v\(moduleSize)h-\((c - start) * moduleSize)z"
            }
        }
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)" role="img" \
        aria-label="\(SafeMarkdown.escape(label))" shape-rendering="crispEdges"><rect width="\(side)" height="\(side)" fill="#fff"/>\
        <path d="\(path)" fill="#000"/></svg>
        """
    }

    /// A binary PGM image (P5), for decoders and tests: `scale` pixels per module, 4-module quiet zone.
    public func pgm(scale: Int = 4) -> Data {
        let quiet = 4
        let side = (size + 2 * quiet) * scale
        var out = Data("P5\n\(side) \(side)\n255\n".utf8)
        out.reserveCapacity(out.count + side * side)
        for y in 0..<side {
            let r = y / scale - quiet
            for x in 0..<side {
                let c = x / scale - quiet
                let dark = r >= 0 && r < size && c >= 0 && c < size && modules[r][c]
                out.append(dark ? 0 : 255)
            }
        }
        return out
    }

    // MARK: Tables (level M)

    private static let eccPerBlock = [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    private static let blockCount = [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]
    /// Format bits of level M are 00.
    private static let levelBits = 0

    private static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

    /// Modules available for data and error correction, after the function patterns.
    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let align = version / 7 + 2
            result -= (25 * align - 10) * align - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blockCount[version]
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords and interleaves them.
    static func interleaved(_ data: [UInt8], version: Int) -> [UInt8] {
        let blocks = blockCount[version], ecc = eccPerBlock[version]
        let raw = rawDataModules(version) / 8
        let shortBlocks = blocks - raw % blocks
        let shortLength = raw / blocks
        let divisor = ReedSolomon.divisor(degree: ecc)
        var all: [[UInt8]] = []
        var k = 0
        for i in 0..<blocks {
            let n = shortLength - ecc + (i < shortBlocks ? 0 : 1)
            var block = Array(data[k..<k + n])
            k += n
            let remainder = ReedSolomon.remainder(block, divisor: divisor)
            if i < shortBlocks { block.append(0) }  // placeholder, skipped when interleaving
            all.append(block + remainder)
        }
        var result: [UInt8] = []
        result.reserveCapacity(raw)
        for i in 0..<all[0].count {
            for (j, block) in all.enumerated() where i != shortLength - ecc || j >= shortBlocks {
                result.append(block[i])
            }
        }
        return result
    }

    static func alignmentPositions(_ version: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let size = version * 4 + 17
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        var result = [6]
        var pos = size - 7
        var tail: [Int] = []
        for _ in 0..<(count - 1) {
            tail.insert(pos, at: 0)
            pos -= step
        }
        result += tail
        return result
    }

    // MARK: Module grid

    private struct Grid {
        let version: Int
        let size: Int
        var modules: [[Bool]]
        var isFunction: [[Bool]]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: Array(repeating: false, count: size), count: size)
            isFunction = modules
        }

        mutating func set(x: Int, y: Int, _ dark: Bool) {
            modules[y][x] = dark
            isFunction[y][x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(x: 6, y: i, i % 2 == 0)
                set(x: i, y: 6, i % 2 == 0)
            }
            finder(x: 3, y: 3)
            finder(x: size - 4, y: 3)
            finder(x: 3, y: size - 4)
            let positions = QRCode.alignmentPositions(version)
            let n = positions.count
            for i in 0..<n {
                for j in 0..<n where !((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) {
                    alignment(x: positions[i], y: positions[j])
                }
            }
            drawFormatBits(mask: 0)  // reserves the area; redrawn for the chosen mask
            drawVersion()
        }

        mutating func finder(x: Int, y: Int) {
            for dy in -4...4 {
                for dx in -4...4 {
                    let xx = x + dx, yy = y + dy
                    guard xx >= 0, xx < size, yy >= 0, yy < size else { continue }
                    let d = max(abs(dx), abs(dy))
                    set(x: xx, y: yy, d != 2 && d != 4)
                }
            }
        }

        mutating func alignment(x: Int, y: Int) {
            for dy in -2...2 {
                for dx in -2...2 { set(x: x + dx, y: y + dy, max(abs(dx), abs(dy)) != 1) }
            }
        }

        mutating func drawFormatBits(mask: Int) {
            let data = QRCode.levelBits << 3 | mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = (data << 10 | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 != 0 }
            for i in 0...5 { set(x: 8, y: i, bit(i)) }
            set(x: 8, y: 7, bit(6))
            set(x: 8, y: 8, bit(7))
            set(x: 7, y: 8, bit(8))
            for i in 9..<15 { set(x: 14 - i, y: 8, bit(i)) }
            for i in 0..<8 { set(x: size - 1 - i, y: 8, bit(i)) }
            for i in 8..<15 { set(x: 8, y: size - 15 + i, bit(i)) }
            set(x: 8, y: size - 8, true)  // the dark module
        }

        mutating func drawVersion() {
            guard version >= 7 else { return }
            var rem = version
            for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
            let bits = version << 12 | rem
            for i in 0..<18 {
                let dark = (bits >> i) & 1 != 0
                let a = size - 11 + i % 3, b = i / 3
                set(x: a, y: b, dark)
                set(x: b, y: a, dark)
            }
        }

        /// Places the codewords in the zig-zag order of the standard, two columns at a time from the right.
        mutating func drawCodewords(_ data: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vert in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vert : vert
                        if !isFunction[y][x] && i < data.count * 8 {
                            modules[y][x] = (data[i >> 3] >> (7 - UInt8(i & 7))) & 1 != 0
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y][x] {
                    let invert: Bool
                    switch mask {
                    case 0: invert = (x + y) % 2 == 0
                    case 1: invert = y % 2 == 0
                    case 2: invert = x % 3 == 0
                    case 3: invert = (x + y) % 3 == 0
                    case 4: invert = (x / 3 + y / 2) % 2 == 0
                    case 5: invert = x * y % 2 + x * y % 3 == 0
                    case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                    default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if invert { modules[y][x].toggle() }
                }
            }
        }

        /// The standard's four penalty rules: runs of five or more, 2×2 blocks, finder-like patterns, imbalance.
        func penalty() -> Int {
            var result = 0
            let lines: [[Bool]] = modules + (0..<size).map { c in modules.map { $0[c] } }
            let finderLike: [[Bool]] = [
                [true, false, true, true, true, false, true, false, false, false, false],
                [false, false, false, false, true, false, true, true, true, false, true],
            ]
            for line in lines {
                var run = 1
                for i in 1..<line.count {
                    if line[i] == line[i - 1] {
                        run += 1
                    } else {
                        if run >= 5 { result += 3 + run - 5 }
                        run = 1
                    }
                }
                if run >= 5 { result += 3 + run - 5 }
                if line.count >= 11 {
                    for start in 0...(line.count - 11) {
                        let window = Array(line[start..<start + 11])
                        if finderLike.contains(window) { result += 40 }
                    }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let c = modules[y][x]
                    if c == modules[y][x + 1] && c == modules[y + 1][x] && c == modules[y + 1][x + 1] { result += 3 }
                }
            }
            let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
            let total = size * size
            let k = (abs(dark * 20 - total * 10) + total - 1) / total - 1
            result += max(0, k) * 10
            return result
        }
    }
}

/// Reed–Solomon error correction over GF(2⁸) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z: Int = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(z & 0xFF)
    }

    /// The generator polynomial's coefficients, highest degree first, leading 1 omitted.
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in 0..<result.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

private struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> UInt32(i)) & 1 != 0) }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<min(start + 8, bits.count)].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
    }
}
