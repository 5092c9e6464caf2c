import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import YingshangApp

/// The server runs Swift concurrency on its event loops, so work that keeps a core busy goes to `CPUWork`. What a
/// county depends on: such work never waits for, nor holds up, the pool that runs SQLite's queries, never runs on an
/// event loop, and its threads end with the instance.
@Suite("CPU-heavy request work")
struct CPUWorkTests {
    /// Holds `count` threads of `pool` until the returned closure is called.
    private static func occupy(_ count: Int, of run: (@escaping @Sendable () -> Void) -> Void) async throws -> @Sendable () -> Void {
        let release = DispatchSemaphore(value: 0)
        let started = NIOLockedValueBox(0)
        for _ in 0..<count {
            run {
                started.withLockedValue { $0 += 1 }
                release.wait()
            }
        }
        for _ in 0..<500 where started.withLockedValue({ $0 }) < count { try await Task.sleep(for: .milliseconds(10)) }
        #expect(started.withLockedValue { $0 } == count, "the pool's threads were not all taken")
        return { for _ in 0..<count { release.signal() } }
    }

    /// Starts `body` and reports whether it finished within `seconds` (the body may still be waiting afterwards).
    private static func finishes(within seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws -> (Bool, Task<Void, any Error>) {
        let done = NIOLockedValueBox(false)
        let task = Task {
            try await body()
            done.withLockedValue { $0 = true }
        }
        for _ in 0..<Int(seconds * 100) where !done.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        return (done.withLockedValue { $0 }, task)
    }

    @Test("CPU work (a piece or a whole handler) runs while every thread that runs SQLite's queries is busy, a query runs while every CPU thread is busy, neither on an event loop; the threads stop with the application")
    func ownThreads() async throws {
        var kept: CPUWork?
        try await withApp(.sqlite, seedDemo: false) { app in
            let cpu = app.cpuWork
            kept = cpu
            // Each thread counts itself in as it starts: give them a moment on a busy machine.
            for _ in 0..<300 where cpu.runningThreads < System.coreCount { try await Task.sleep(for: .milliseconds(10)) }
            #expect(cpu.runningThreads == System.coreCount)
            #expect(!cpu.isCurrentThread)
            #expect(try await cpu.run { cpu.isCurrentThread })
            // A whole handler too: each step between its awaits, a query's included.
            let sql = try #require(app.db as? any SQLDatabase)
            let onCPU = try await withTaskExecutorPreference(cpu) {
                var seen: [Bool] = []
                for _ in 0..<3 {
                    try await sql.raw("SELECT 1").run()
                    seen.append(cpu.isCurrentThread)
                }
                return seen
            }
            #expect(onCPU == [true, true, true])

            // Every thread of the application's pool (SQLite's) held: CPU work still runs.
            let pool = app.threadPool
            let loop = app.eventLoopGroup.next()
            let releaseQueries = try await Self.occupy(NIOSingletons.blockingPoolThreadCountSuggestion) { work in
                _ = pool.runIfActive(eventLoop: loop) { work() }
            }
            let (cpuRan, cpuTask) = try await Self.finishes(within: 10) { _ = try await cpu.run { (0..<1000).reduce(0, +) } }
            releaseQueries()
            try await cpuTask.value
            #expect(cpuRan, "CPU work waited for the database's threads")

            // Every CPU thread held: a query still runs.
            let releaseCPU = try await Self.occupy(System.coreCount) { work in
                Task { try await cpu.run { work() } }
            }
            let (queryRan, queryTask) = try await Self.finishes(within: 10) { try await sql.raw("SELECT 1").run() }
            releaseCPU()
            try await queryTask.value
            #expect(queryRan, "a query waited for the CPU threads")
        }
        // The instance's threads end with it; work that still arrives runs (on a thread of its own) instead of hanging.
        let cpu = try #require(kept)
        for _ in 0..<300 where cpu.runningThreads > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(cpu.runningThreads == 0, "\(cpu.runningThreads) CPU threads still running after the application stopped")
        #expect(try await cpu.run { 41 + 1 } == 42)
    }

    @Test("a burst of heavy requests beyond the bound is refused at once with 503, Retry-After and a Chinese message, runs nothing and records nothing; the count is released after success and failure alike")
    func admissionBound() async throws {
        let bounded = CPUWork(threads: 1, limit: 2)
        defer { bounded.shutdown() }
        struct Boom: Error {}
        #expect(try await bounded.admitted { 7 } == 7)
        await #expect(throws: Boom.self) { try await bounded.admitted { throw Boom() } }
        #expect(bounded.admitted == 0, "an answered request is still counted")
        // A whole handler that offloads a piece is one request: at the bound, its piece is not refused halfway.
        let single = CPUWork(threads: 1, limit: 1)
        defer { single.shutdown() }
        #expect(try await single.admitted { try await single.admitted { try await single.run { 5 } } } == 5)
        #expect(single.admitted == 0)

        try await withApp(.sqlite, seedDemo: true) { app in
            let work = app.cpuWork
            #expect(work.limit == CPUWork.perCore * System.coreCount)
            let s = try await app.webSession("auditor")
            let filer = try await app.webSession("filer")
            // Hold every admission: requests waiting or running, as during a burst of exports.
            let release = DispatchSemaphore(value: 0)
            let holders = (0..<work.limit).map { _ in
                Task { try await work.admitted { try await work.run { release.wait() } } }
            }
            for _ in 0..<500 where work.admitted < work.limit { try await Task.sleep(for: .milliseconds(10)) }
            #expect(work.admitted == work.limit)
            let entries = try await AuditEntry.query(on: app.db).count()
            let answer = NIOLockedValueBox<TestingHTTPResponse?>(nil)
            let headers = s.headers
            let (answered, request) = try await Self.finishes(within: 10) {
                let res = try await app.send(.GET, "/audit.csv", headers: headers)
                answer.withLockedValue { $0 = res }
            }
            #expect(answered, "the request over the bound waited for the CPU threads instead of being refused")
            if !answered { for _ in 0..<work.limit + 1 { release.signal() } }
            try await request.value
            let refused = try #require(answer.withLockedValue { $0 })
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers.first(name: "Retry-After") == "10")
            #expect(refused.text.contains("请稍后再试"), "\(refused.text.prefix(300))")
            #expect(!refused.text.contains("序号"), "the refused export ran")
            #expect(try await AuditEntry.query(on: app.db).count() == entries, "a refused request left an audit entry")
            // The role checks come first: a user who may not read the audit log is told so (403), bound or not.
            #expect(try await app.send(.GET, "/audit.csv", headers: filer.headers).status == .forbidden)
            // Released: the same request runs.
            for _ in 0..<work.limit { release.signal() }
            for h in holders { try await h.value }
            #expect(work.admitted == 0)
            let served = try await app.send(.GET, "/audit.csv", headers: s.headers)
            #expect(served.status == .ok)
            #expect(served.text.contains("序号"))
        }
    }
}
