import Foundation

/// Which refused requests are written to the audit log. 等保 wants every refusal of a signed-in user audited (who
/// tried what), but a hostile unit user repeating one forbidden request must not be able to fill the log and queue
/// every other audited write behind the hash chain. So the same refusal (same user, method and path) is written once
/// per window; the next entry after the window says how many identical refusals were not written in between.
public struct RefusalThrottle: Sendable {
    public let window: TimeInterval
    /// Keys remembered at most; beyond it, keys whose window has passed are forgotten first.
    public let capacity: Int
    private var last: [String: (at: Date, suppressed: Int)] = [:]

    public init(window: TimeInterval = 60, capacity: Int = 10_000) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// nil: do not write this refusal. Otherwise write it, noting this many identical refusals left out since the
    /// last written one.
    public mutating func admit(_ key: String, at now: Date) -> Int? {
        if let seen = last[key], now.timeIntervalSince(seen.at) < window, now >= seen.at {
            last[key] = (seen.at, seen.suppressed + 1)
            return nil
        }
        let suppressed = last[key]?.suppressed ?? 0
        if last[key] == nil, last.count >= capacity {
            last = last.filter { now.timeIntervalSince($0.value.at) < window }
            // Still full of live keys: forget them rather than grow (a flood of distinct paths is written, not lost).
            if last.count >= capacity { last.removeAll(keepingCapacity: true) }
        }
        last[key] = (now, 0)
        return suppressed
    }

    public var remembered: Int { last.count }
}
