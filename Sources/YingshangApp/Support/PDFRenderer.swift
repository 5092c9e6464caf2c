import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// HTML → PDF with headless Chromium. One browser is kept running per instance and driven over the DevTools pipe,
/// so a report costs a page load and a print instead of a browser start (docs/benchmarks.md); when that browser
/// cannot be started or fails, a one-shot `chromium --print-to-pdf` run is used, as before.
enum PDFRenderer {
    static func chromiumPath() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static func render(html: String, chromium: String, logger: Logger? = nil) async throws -> Data {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yingshang-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: input)
        do {
            let data = try await HeadlessBrowser.pool.printToPDF(file: input, chromium: chromium)
            if data.starts(with: Array("%PDF".utf8)) { return data }
            logger?.warning("running Chromium returned no PDF; falling back to a one-shot run")
        } catch {
            logger?.warning("running Chromium failed (\(error)); falling back to a one-shot run")
        }
        return try await oneShot(input: input, dir: dir, chromium: chromium)
    }

    private static func oneShot(input: URL, dir: URL, chromium: String) async throws -> Data {
        let output = dir.appendingPathComponent("report.pdf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--print-to-pdf=\(output.path)", input.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let failed = AppError(status: .internalServerError, code: "pdf_failed", message: "PDF 生成失败，请改用浏览器打印")
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in cont.resume() }
            do { try process.run() } catch { cont.resume(throwing: failed) }
        }
        guard let data = try? Data(contentsOf: output), data.starts(with: Array("%PDF".utf8)) else {
            throw failed
        }
        return data
    }
}

/// A headless Chromium driven through `--remote-debugging-pipe` (requests on fd 3, replies on fd 4, each message
/// JSON ended by a NUL byte). A pipe rather than a debugging port: no other local user can connect to it, and the
/// browser exits when this process does (the pipe closes).
final class HeadlessBrowser: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case spawn(Int32), closed, timeout, reply(String)
        var description: String {
            switch self {
            case .spawn(let e): "could not start Chromium (errno \(e))"
            case .closed: "Chromium closed its pipe"
            case .timeout: "Chromium did not answer in time"
            case .reply(let s): "Chromium answered: \(s)"
            }
        }
    }

    /// The instance's browser, started on first use and again after it died.
    actor Pool {
        private var current: HeadlessBrowser?

        func browser(chromium: String) throws -> HeadlessBrowser {
            if let current, current.isAlive, current.executable == chromium { return current }
            current?.terminate()
            let b = try HeadlessBrowser(chromium: chromium)
            current = b
            return b
        }

        /// The process id of the running browser (tests check that it is reused).
        func runningPID() -> Int32? { current.flatMap { $0.isAlive ? $0.pid : nil } }

        func printToPDF(file: URL, chromium: String, timeout: Duration = .seconds(60)) async throws -> Data {
            let b = try browser(chromium: chromium)
            do { return try await b.printToPDF(file: file, timeout: timeout) } catch {
                b.terminate()
                throw error
            }
        }

        func shutdown() {
            current?.terminate()
            current = nil
        }
    }

    static let pool = Pool()

    let pid: pid_t
    let executable: String
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private let lock = NSLock()
    private var alive = true
    private var nextID = 0
    private var replies: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var events: [String: EventSlot] = [:]

    private final class EventSlot: @unchecked Sendable {
        var message: Data?
        var waiter: CheckedContinuation<Data, any Error>?
    }

    var isAlive: Bool { lock.withLock { alive } }

    init(chromium: String) throws {
        executable = chromium
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("yingshang-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var down: [Int32] = [0, 0]  // we write, the browser reads (its fd 3)
        var up: [Int32] = [0, 0]  // the browser writes (its fd 4), we read
        guard pipe(&down) == 0 else { throw Failure.spawn(errno) }
        guard pipe(&up) == 0 else {
            close(down[0]); close(down[1])
            throw Failure.spawn(errno)
        }
        // (pipe2 is not exported to Swift.) Close-on-exec so that no other child process inherits these ends.
        for fd in down + up { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // dup2 clears close-on-exec on the copies, so only fds 0–4 reach the browser.
        posix_spawn_file_actions_adddup2(&actions, down[0], 3)
        posix_spawn_file_actions_adddup2(&actions, up[1], 4)
        let args = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--user-data-dir=\(profile.path)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child = pid_t()
        let rc = posix_spawn(&child, chromium, &actions, nil, &argv, environ)
        close(down[0])
        close(up[1])
        guard rc == 0 else {
            close(down[1]); close(up[0])
            try? FileManager.default.removeItem(at: profile)
            throw Failure.spawn(rc)
        }
        pid = child
        toBrowser = down[1]
        fromBrowser = up[0]
        let reader = Thread { [self] in readLoop() }
        reader.name = "chromium-pipe"
        reader.start()
    }

    /// Loads the file in a new tab, waits for its load event and prints it.
    func printToPDF(file: URL, timeout: Duration) async throws -> Data {
        // A browser that stops answering is killed: every waiting call then fails and the caller falls back.
        let watchdog = Task { [self] in
            try await Task.sleep(for: timeout)
            terminate()
        }
        defer { watchdog.cancel() }
        guard let target = try await call("Target.createTarget", ["url": "about:blank"])["targetId"] as? String else {
            throw Failure.reply("no targetId")
        }
        do {
            guard let session = try await call("Target.attachToTarget", ["targetId": target, "flatten": true])["sessionId"] as? String
            else { throw Failure.reply("no sessionId") }
            _ = try await call("Page.enable", session: session)
            let loaded = expect("Page.loadEventFired", session: session)
            let nav = try await call("Page.navigate", ["url": file.absoluteString], session: session)
            if let error = nav["errorText"] as? String, !error.isEmpty { throw Failure.reply(error) }
            _ = try await wait(loaded)
            let printed = try await call(
                "Page.printToPDF", ["printBackground": true, "preferCSSPageSize": true, "displayHeaderFooter": false], session: session)
            guard let base64 = printed["data"] as? String, let pdf = Data(base64Encoded: base64) else { throw Failure.reply("no data") }
            _ = try? await call("Target.closeTarget", ["targetId": target])
            return pdf
        } catch {
            _ = try? await call("Target.closeTarget", ["targetId": target])
            throw error
        }
    }

    func terminate() {
        let wasAlive = lock.withLock {
            let was = alive
            alive = false
            return was
        }
        guard wasAlive else { return }
        kill(pid, SIGKILL)
        close(toBrowser)
        let pid = pid, profile = profile
        Thread.detachNewThread {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(at: profile)
        }
    }

    // MARK: - Protocol

    private func call(_ method: String, _ params: [String: Any] = [:], session: String? = nil) async throws -> [String: Any] {
        let reply = try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
            var message: [String: Any] = ["method": method, "params": params]
            if let session { message["sessionId"] = session }
            let id: Int? = lock.withLock {
                guard alive else { return nil }
                nextID += 1
                replies[nextID] = cont
                return nextID
            }
            guard let id else { return cont.resume(throwing: Failure.closed) }
            message["id"] = id
            guard var bytes = try? JSONSerialization.data(withJSONObject: message) else {
                if let c = lock.withLock({ replies.removeValue(forKey: id) }) { c.resume(throwing: Failure.reply("unencodable request")) }
                return
            }
            bytes.append(0)
            if !writeAll(bytes), let c = lock.withLock({ replies.removeValue(forKey: id) }) { c.resume(throwing: Failure.closed) }
        }
        let object = (try JSONSerialization.jsonObject(with: reply)) as? [String: Any] ?? [:]
        if let error = object["error"] as? [String: Any] { throw Failure.reply("\(method): \(error["message"] ?? error)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    private func writeAll(_ data: Data) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard alive else { return false }
        return data.withUnsafeBytes { raw -> Bool in
            guard var p = raw.baseAddress else { return false }
            var left = raw.count
            while left > 0 {
                let n = write(toBrowser, p, left)
                if n < 0 { if errno == EINTR { continue } else { return false } }
                p += n
                left -= n
            }
            return true
        }
    }

    /// Registers interest in an event before the command that causes it is sent.
    private func expect(_ method: String, session: String) -> String {
        let key = session + "|" + method
        lock.withLock { events[key] = EventSlot() }
        return key
    }

    private func wait(_ key: String) async throws -> Data {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
            let ready: Data?? = lock.withLock {
                guard alive else { return .some(nil) }
                guard let slot = events[key] else { return .some(nil) }
                if let m = slot.message {
                    events[key] = nil
                    return .some(m)
                }
                slot.waiter = cont
                return .none
            }
            switch ready {
            case .none: break
            case .some(.some(let m)): cont.resume(returning: m)
            case .some(.none): cont.resume(throwing: Failure.closed)
            }
        }
    }

    private func readLoop() {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            var start = 0
            while let end = buffer[start...].firstIndex(of: 0) {
                deliver(Data(buffer[start..<end]))
                start = end + 1
            }
            if start > 0 { buffer.removeFirst(start) }
        }
        close(fromBrowser)
        // The browser went away: nobody waiting may hang.
        let (pending, slots) = lock.withLock {
            let p = replies, s = events
            replies = [:]
            events = [:]
            return (p, s)
        }
        terminate()
        for c in pending.values { c.resume(throwing: Failure.closed) }
        for s in slots.values { s.waiter?.resume(throwing: Failure.closed) }
    }

    private func deliver(_ message: Data) {
        guard let object = (try? JSONSerialization.jsonObject(with: message)) as? [String: Any] else { return }
        if let id = object["id"] as? Int {
            lock.withLock { replies.removeValue(forKey: id) }?.resume(returning: message)
        } else if let method = object["method"] as? String {
            let key = (object["sessionId"] as? String ?? "") + "|" + method
            let waiter: CheckedContinuation<Data, any Error>? = lock.withLock {
                guard let slot = events[key] else { return nil }
                if let w = slot.waiter {
                    events[key] = nil
                    return w
                }
                slot.message = message
                return nil
            }
            waiter?.resume(returning: message)
        }
    }
}
