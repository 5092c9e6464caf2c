import Foundation
import Vapor

/// Work that keeps a core busy for a while runs on threads of its own. Swift concurrency runs on the server's event
/// loops (`Runner.serve`, decisions.md), where such work would hold up the I/O of every connection on that loop; and
/// the application's thread pool runs SQLite's queries, which must not queue behind it. As many threads as cores: a
/// burst of exports waits its turn instead of starting a thread each.
///
/// Two ways in: `run` for a synchronous piece (reading or writing a workbook, packing the evidence ZIP, a batch of QR
/// codes), and `CPUWork.whole` for a route whose handler builds a large result as it reads it (survey results and
/// exports, a draw's pages): as a task executor, every step of that handler between its awaits runs here.
///
/// Requests that use these threads are admitted up to `limit` at a time (waiting or running): a burst beyond that —
/// a user clicking an export again and again, a script — is refused at once with 503 and `Retry-After` instead of
/// queueing without end while each waiting request holds its connection (a heavy request takes 0.2–2 s, so the last
/// of 16 per core waits about as long as a proxy's usual timeout). Nothing is changed by a refused request.
final class CPUWork: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case block(@Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var queue: [Work] = []
    private var head = 0
    private var stopped = false
    /// The threads running now, by `pthread_self()` (for `isCurrentThread` and the tests).
    private var threads: Set<pthread_t> = []
    /// Requests admitted and not yet answered (`admitted(_:)`), and how many may be.
    private var admittedRequests = 0
    let limit: Int

    static let perCore = 16

    static let busy = AppError(
        status: .serviceUnavailable, code: "busy", message: "服务器正在处理较多的导出和统计，请稍后再试（本次请求未执行）",
        headers: ["Retry-After": "10"])

    init(threads count: Int = System.coreCount, limit: Int? = nil) {
        self.limit = max(1, limit ?? Self.perCore * max(1, count))
        for i in 0..<max(1, count) {
            let thread = Thread { [self] in
                condition.lock()
                threads.insert(pthread_self())
                condition.unlock()
                drain()
                condition.lock()
                threads.remove(pthread_self())
                condition.unlock()
            }
            thread.name = "cpu-work-\(i)"  // best effort: shown by `top -H` where Foundation passes it on
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// How many of the threads are running (none once the instance has stopped and the queue is empty).
    var runningThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads.count
    }

    /// True when called on one of this instance's threads.
    var isCurrentThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return threads.contains(pthread_self())
    }

    /// Requests admitted and not yet answered.
    var admitted: Int {
        condition.lock()
        defer { condition.unlock() }
        return admittedRequests
    }

    /// True inside `admitted`: a piece offloaded by a handler that already runs whole is part of the same request.
    @TaskLocal private static var inside = false

    /// Runs `body` as one admitted request, or throws `busy` at once when `limit` requests already are. Nested calls
    /// (a whole handler writing a workbook through `req.offload`) count once, and so cannot be refused halfway.
    func admitted<T>(_ body: () async throws -> T) async throws -> T {
        if Self.inside { return try await body() }
        guard admit() else { throw Self.busy }
        defer { leave() }
        return try await Self.$inside.withValue(true) { try await body() }
    }

    private func admit() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard admittedRequests < limit else { return false }
        admittedRequests += 1
        return true
    }

    private func leave() {
        condition.lock()
        admittedRequests -= 1
        condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs `body` on these threads and resumes the caller with its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(.block { continuation.resume(with: Result { try body() }) })
        }
    }

    /// Lets the threads end once the queue is empty; work that still arrives gets a thread of its own, so no task
    /// waits for ever on an instance that is stopping.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func submit(_ work: Work) {
        condition.lock()
        if stopped {
            condition.unlock()
            Thread.detachNewThread { [self] in perform(work) }
            return
        }
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    private func drain() {
        while true {
            condition.lock()
            while head == queue.count && !stopped { condition.wait() }
            guard head < queue.count else {
                condition.unlock()
                return
            }
            let work = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            perform(work)
        }
    }

    private func perform(_ work: Work) {
        switch work {
        case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
        case .block(let body): body()
        }
    }

    /// A route handler run on these threads from start to end (see the type's comment).
    static func whole<R>(
        _ handler: @escaping @Sendable (Request) async throws -> R
    ) -> @Sendable (Request) async throws -> R {
        { req in
            let work = req.application.cpuWork
            return try await work.admitted { try await withTaskExecutorPreference(work) { try await handler(req) } }
        }
    }

    /// Stops the threads with the application (tests make many applications in one process).
    struct Lifecycle: LifecycleHandler {
        func shutdown(_ application: Application) { application.cpuWork.shutdown() }
    }
}

extension Application {
    private struct CPUWorkKey: StorageKey {
        typealias Value = CPUWork
    }

    /// The instance's threads for CPU-heavy request work (created by `configure`).
    var cpuWork: CPUWork { instanceValue(CPUWorkKey.self) { CPUWork() } }
}

extension Request {
    /// Runs `body` on the CPU threads (see `CPUWork`, whose admission bound it counts under) and resumes here with
    /// its result.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let work = application.cpuWork
        return try await work.admitted { try await work.run(body) }
    }
}
