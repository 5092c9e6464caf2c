import Foundation

/// The audit log as a hash chain (等保 2.0 审计记录的保护): entry n stores the hash of entry n − 1 and its own hash
/// over that and its content, so altering, deleting or inserting an entry breaks the chain at that point. The hash
/// function is passed in (SHA-256 in the app) so that this rule stays free of dependencies.
public enum AuditChain {
    /// The "previous hash" of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// One entry as the chain sees it: its number, the hashes stored with it, and its content in canonical form.
    public struct Link: Sendable {
        public let seq: Int
        public let prevHash: String
        public let hash: String
        public let content: String

        public init(seq: Int, prevHash: String, hash: String, content: String) {
            self.seq = seq
            self.prevHash = prevHash
            self.hash = hash
            self.content = content
        }
    }

    /// The content that is hashed: every field, separated by U+001F (a character no field contains), times in
    /// whole milliseconds (what both databases keep exactly).
    public static func canonical(
        seq: Int, at: Date, actorID: String?, actorUsername: String, action: String, entityType: String, entityID: String?,
        before: String?, after: String?, ip: String?
    ) -> String {
        let ms = Int64((at.timeIntervalSince1970 * 1000).rounded())
        return [String(seq), String(ms), actorID ?? "", actorUsername, action, entityType, entityID ?? "", before ?? "", after ?? "", ip ?? ""]
            .joined(separator: "\u{1F}")
    }

    public static func input(prevHash: String, content: String) -> String { prevHash + "\u{1E}" + content }

    public enum Finding: Equatable, Sendable, CustomStringConvertible {
        /// The entry's content does not match its own hash.
        case altered(seq: Int)
        /// Entries with these numbers are missing.
        case deleted(from: Int, through: Int)
        /// The entry's stored previous hash is not the hash of the entry before it: something was inserted, or the
        /// entry before was altered and re-hashed.
        case brokenLink(seq: Int)
        /// Two entries share a number.
        case duplicate(seq: Int)
        /// The last entry is not the chain head the database recorded (entries removed from the end).
        case truncated(expectedLast: Int, found: Int)

        public var description: String {
            switch self {
            case .altered(let s): return "第 \(s) 条审计记录的内容与其哈希不符：该记录被改动"
            case .deleted(let a, let b): return a == b ? "第 \(a) 条审计记录被删除" : "第 \(a)–\(b) 条审计记录被删除"
            case .brokenLink(let s):
                return "第 \(s) 条审计记录的前一哈希与第 \(s - 1) 条不符：其间被插入了记录，或第 \(s - 1) 条被改动后重算了哈希"
            case .duplicate(let s): return "编号 \(s) 的审计记录不止一条：有记录被插入"
            case .truncated(let e, let f): return "审计记录应到第 \(e) 条，实际只到第 \(f) 条：末尾的记录被删除"
            }
        }
    }

    /// The first break in `links` (any order; sorted by number here), or nil when the chain is whole.
    /// `head` is the last number the database recorded, if known.
    public static func verify(_ links: [Link], head: Int? = nil, hash: (String) -> String) -> Finding? {
        var expectedSeq = 1
        var expectedPrev = genesis
        for link in links.sorted(by: { $0.seq < $1.seq }) {
            if link.seq < expectedSeq { return .duplicate(seq: link.seq) }
            if link.seq > expectedSeq { return .deleted(from: expectedSeq, through: link.seq - 1) }
            if hash(input(prevHash: link.prevHash, content: link.content)) != link.hash { return .altered(seq: link.seq) }
            if link.prevHash != expectedPrev { return .brokenLink(seq: link.seq) }
            expectedPrev = link.hash
            expectedSeq += 1
        }
        if let head, head > expectedSeq - 1 { return .truncated(expectedLast: head, found: expectedSeq - 1) }
        return nil
    }
}
