import Foundation

/// Background jobs (register imports) hold a lease that the instance running them renews while it works. A job
/// whose lease ran out was abandoned (its server stopped or was killed): any instance may close it as failed.
public enum JobLease {
    /// How long a lease lasts without renewal.
    public static let duration: TimeInterval = 60
    /// How often the running instance renews it (well inside `duration`, so one slow renewal does not lose it).
    public static let renewEvery: TimeInterval = 15
    /// Jobs from before leases existed: closed after this long, as the old start-up sweep did.
    public static let legacyTimeout: TimeInterval = 3_600

    public static func expiry(from now: Date) -> Date { now.addingTimeInterval(duration) }

    /// Whether a job still marked running was abandoned.
    public static func isAbandoned(leaseUntil: Date?, createdAt: Date?, now: Date) -> Bool {
        if let leaseUntil { return leaseUntil < now }
        guard let createdAt else { return false }
        return now.timeIntervalSince(createdAt) > legacyTimeout
    }

    public static let abandonedMessage =
        "导入已中断：处理该导入的服务器停止了工作（超过 1 分钟没有进展）。整份名单未导入任何企业，上传的文件已删除；请回到企业名单页面重新上传。"
}
