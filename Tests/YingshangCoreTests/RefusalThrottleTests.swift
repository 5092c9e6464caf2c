import Foundation
import Testing
import YingshangCore

@Suite("Audit of refused requests")
struct RefusalThrottleTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("the same refusal is written once a minute; the next entry counts those left out; other keys are independent")
    func sameKey() {
        var t = RefusalThrottle(window: 60)
        #expect(t.admit("u1 GET /audit", at: t0) == 0)
        for s in 1...4 { #expect(t.admit("u1 GET /audit", at: t0.addingTimeInterval(Double(s * 10))) == nil) }
        #expect(t.admit("u2 GET /audit", at: t0.addingTimeInterval(5)) == 0)
        #expect(t.admit("u1 POST /audit", at: t0.addingTimeInterval(5)) == 0)
        // 60 s after the written one (not after the last repeat): written again, noting the four left out.
        #expect(t.admit("u1 GET /audit", at: t0.addingTimeInterval(60)) == 4)
        #expect(t.admit("u1 GET /audit", at: t0.addingTimeInterval(61)) == nil)
        #expect(t.admit("u1 GET /audit", at: t0.addingTimeInterval(120)) == 1)
    }

    @Test("memory stays bounded by the capacity; a clock that went back never silences a refusal for good")
    func bounded() {
        var t = RefusalThrottle(window: 60, capacity: 100)
        for i in 0..<1_000 { #expect(t.admit("u GET /p\(i)", at: t0) == 0) }
        #expect(t.remembered <= 100)
        #expect(t.admit("x", at: t0) == 0)
        #expect(t.admit("x", at: t0.addingTimeInterval(-3600)) == 0)
    }
}
