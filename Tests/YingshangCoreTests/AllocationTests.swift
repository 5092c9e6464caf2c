import Foundation
import Testing
@testable import YingshangCore

/// Allocation against an independent implementation: `scripts/reference/allocation.py` (Python, exact fractions,
/// the iterative fix-and-reallocate procedure) printed these cases and their expected n_h; regenerate with
/// `python3 scripts/reference/allocation.py`. Two cases are also checked by hand in the comments.
@Suite("Allocation with minimums")
struct AllocationTests {
    struct Case: Decodable {
        let n: Int
        let sizes: [Int]
        let sds: [Double]?
        let minimum: Int
        let method: String
        let expected: [Int]
    }

    static let reference = #"{"three_strata_min5": {"n": 100, "sizes": [900, 90, 10], "minimum": 5, "method": "proportional", "expected": [86, 9, 5]}, "min_not_binding": {"n": 200, "sizes": [1000, 500, 300, 100, 100], "minimum": 2, "method": "proportional", "expected": [100, 50, 30, 10, 10]}, "township_12": {"n": 400, "sizes": [5200, 3100, 2400, 1800, 1500, 1300, 1100, 900, 800, 500, 250, 150], "minimum": 10, "method": "proportional", "expected": [106, 63, 49, 37, 31, 27, 23, 18, 16, 10, 10, 10]}, "zipf_229_min2": {"n": 1000, "sizes": [6001, 2800, 1792, 1306, 1022, 836, 706, 610, 536, 477, 430, 390, 358, 330, 306, 285, 266, 250, 236, 223, 211, 201, 191, 182, 174, 167, 160, 154, 148, 143, 138, 133, 129, 125, 121, 117, 114, 110, 107, 104, 101, 99, 96, 94, 92, 89, 87, 85, 83, 82, 80, 78, 77, 75, 74, 72, 71, 69, 68, 67, 66, 65, 63, 62, 61, 60, 59, 58, 57, 57, 56, 55, 54, 53, 52, 52, 51, 50, 50, 49, 48, 48, 47, 46, 46, 45, 45, 44, 44, 43, 42, 42, 42, 41, 41, 40, 40, 39, 39, 38, 38, 38, 37, 37, 36, 36, 36, 35, 35, 35, 34, 34, 34, 33, 33, 33, 32, 32, 32, 31, 31, 31, 31, 30, 30, 30, 30, 29, 29, 29, 29, 28, 28, 28, 28, 27, 27, 27, 27, 27, 26, 26, 26, 26, 26, 25, 25, 25, 25, 25, 25, 24, 24, 24, 24, 24, 24, 23, 23, 23, 23, 23, 23, 22, 22, 22, 22, 22, 22, 22, 21, 21, 21, 21, 21, 21, 21, 21, 20, 20, 20, 20, 20, 20, 20, 20, 20, 19, 19, 19, 19, 19, 19, 19, 19, 19, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16], "minimum": 2, "method": "proportional", "expected": [167, 78, 50, 36, 29, 23, 20, 17, 15, 13, 12, 11, 10, 9, 9, 8, 7, 7, 7, 6, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]}, "equal_with_cap": {"n": 60, "sizes": [3, 50, 50], "minimum": 0, "method": "equal", "expected": [3, 29, 28]}, "neyman_min3": {"n": 120, "sizes": [4000, 2500, 800, 300, 40, 12], "sds": [10.0, 22.5, 30.0, 5.0, 40.0, 1.0], "minimum": 3, "method": "neyman", "expected": [37, 52, 22, 3, 3, 3]}, "neyman_caps": {"n": 150, "sizes": [20, 30, 2000, 1500], "sds": [900.0, 800.0, 5.0, 4.0], "minimum": 2, "method": "neyman", "expected": [20, 30, 63, 37]}}"#

    static func cases() throws -> [String: Case] {
        try JSONDecoder().decode([String: Case].self, from: Data(reference.utf8))
    }

    @Test("every reference case gives the reference allocation", arguments: ["three_strata_min5", "min_not_binding", "township_12", "zipf_229_min2", "equal_with_cap", "neyman_min3", "neyman_caps"])
    func matchesReference(name: String) throws {
        let c = try #require(try Self.cases()[name])
        let strata = c.sizes.enumerated().map { StratifiedSampling.Stratum(key: "h\($0.offset)", size: $0.element, sd: c.sds?[$0.offset]) }
        let method = try #require(StratifiedSampling.Allocation(rawValue: c.method))
        let got = try StratifiedSampling.allocate(n: c.n, strata: strata, method: method, minimum: c.minimum).get()
        #expect(got == c.expected)
        #expect(got.reduce(0, +) == c.n)
        #expect(zip(got, c.sizes).allSatisfy { $0.0 <= $0.1 && $0.0 >= min(c.minimum, $0.1) })
    }

    @Test("by hand: the minimum binds only for the stratum whose share is below it")
    func byHand() throws {
        // Proportional shares of 100 over 900/90/10 are 90, 9, 1: only the third is below 5. It gets 5; the other 95
        // go 900:90 -> 86.36 and 8.64 -> floors 86 + 8 + 5 = 99, the last unit to the larger remainder (.64): 86, 9, 5.
        let strata = [900, 90, 10].map { StratifiedSampling.Stratum(key: "\($0)", size: $0) }
        #expect(try StratifiedSampling.allocate(n: 100, strata: strata, method: .proportional, minimum: 5).get() == [86, 9, 5])
        // A minimum no share falls below changes nothing: exactly proportional.
        let even = [1000, 500, 300, 100, 100].map { StratifiedSampling.Stratum(key: "\($0)", size: $0) }
        #expect(try StratifiedSampling.allocate(n: 200, strata: even, method: .proportional, minimum: 2).get() == [100, 50, 30, 10, 10])
        // Neyman with two small, very variable strata: their shares (46.6, 62.1) exceed their sizes, so they are
        // taken whole; the other 100 go 10000:6000 -> 62.5, 37.5 -> tie broken by order -> 63, 37.
        let ney = [(20, 900.0), (30, 800.0), (2000, 5.0), (1500, 4.0)].map { StratifiedSampling.Stratum(key: "\($0.0)", size: $0.0, sd: $0.1) }
        #expect(try StratifiedSampling.allocate(n: 150, strata: ney, method: .neyman, minimum: 2).get() == [20, 30, 63, 37])
    }

    @Test("impossible requests are refused with the reason")
    func refusals() {
        let strata = [10, 10].map { StratifiedSampling.Stratum(key: "\($0)", size: $0) }
        #expect(StratifiedSampling.allocate(n: 21, strata: strata, method: .proportional) == .failure(.sampleTooLarge(n: 21, population: 20)))
        #expect(StratifiedSampling.allocate(n: 5, strata: strata, method: .proportional, minimum: 3) == .failure(.minimumTooLarge(needed: 6, n: 5)))
        #expect(StratifiedSampling.allocate(n: 5, strata: strata, method: .neyman) == .failure(.missingSD("10")))
    }
}
