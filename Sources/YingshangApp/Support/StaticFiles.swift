import Foundation
import Vapor

/// The stylesheets, scripts and icon in `Public/`, served by Vapor's `FileMiddleware` — but only for GET and HEAD
/// requests whose path starts with one of `Public/`'s own entries (`css/`, `js/`, `favicon.ico`). `FileMiddleware`
/// asks the file system about every request's path, on NIO's thread pool (a hand-off there and back), before the
/// route sees it: every page, API call and survey submission paid a file lookup that could never succeed, and a POST
/// to a stylesheet's path was answered with the stylesheet. The entries are listed once at start: a file added at a new
/// top-level path of `Public/` is served after a restart.
struct StaticFilesMiddleware: Middleware {
    let files: FileMiddleware
    /// `Public/`'s top-level entries as path prefixes: "/css/", "/js/", "/favicon.ico".
    let prefixes: [String]

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: publicDirectory)) ?? []
        prefixes = entries.filter { !$0.hasPrefix(".") }.sorted().map { name in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (publicDirectory as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
            return "/" + name + (isDirectory.boolValue ? "/" : "")
        }
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard request.method == .GET || request.method == .HEAD, Self.isStatic(request.url.path, prefixes: prefixes) else {
            return next.respond(to: request)
        }
        return files.respond(to: request, chainingTo: next)
    }

    /// Whether `path` names something under one of `prefixes` (a file prefix matches only exactly).
    static func isStatic(_ path: String, prefixes: [String]) -> Bool {
        prefixes.contains { $0.hasSuffix("/") ? path.hasPrefix($0) : path == $0 }
    }
}
