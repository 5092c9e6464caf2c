import NIOPosix
import Vapor

/// Work that keeps a core busy for a while — reading an uploaded workbook, writing a workbook download, compressing
/// evidence, encoding a batch of QR codes — runs on threads of its own. Swift concurrency runs on the server's event
/// loops (`Runner.serve`, decisions.md), where such work would hold up the I/O of every connection on that loop; and
/// the application's thread pool runs SQLite's queries, which must not queue behind it. As many threads as cores: a
/// burst of exports waits its turn instead of starting a thread each.
final class CPUWork: Sendable {
    fileprivate let pool: NIOThreadPool

    init(threads: Int = System.coreCount) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    /// Stops the threads with the application (tests make many applications in one process).
    struct Lifecycle: LifecycleHandler {
        func shutdownAsync(_ application: Application) async { await application.cpuWork.shutdown() }
        func shutdown(_ application: Application) {
            application.cpuWork.pool.shutdownGracefully { _ in }
        }
    }
}

extension Application {
    private struct CPUWorkKey: StorageKey {
        typealias Value = CPUWork
    }

    /// The instance's pool for CPU-heavy request work (created by `configure`).
    var cpuWork: CPUWork { instanceValue(CPUWorkKey.self) { CPUWork() } }
}

extension Request {
    /// Runs `body` on the CPU pool (see `CPUWork`) and resumes here with its result.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await application.cpuWork.run(body)
    }
}
