import Fluent
import Foundation
import NIOCore
import Testing
@testable import YingshangApp

@Suite("Pages rendered once and filled per view")
struct PageSkeletonTests {
    @Test("a skeleton fills its own markers, escaped as Leaf escapes, and leaves look-alike text in the page as it is")
    func fill() {
        let m = PageSkeleton.Markers()
        let skeleton = PageSkeleton(
            rendered: "<h1>\(m.text(.enterprise))</h1>名\u{E000}c字\u{E000}<input value=\"\(m.text(.csrf))\">尾", markers: m)
        let out = String(buffer: skeleton.fill([.enterprise: "<甲&\"乙'>", .csrf: "abc"], allocator: ByteBufferAllocator()))
        #expect(out == "<h1>&lt;甲&amp;&quot;乙&#39;&gt;</h1>名\u{E000}c字\u{E000}<input value=\"abc\">尾")
    }

    @Test("an account whose name holds what an unsalted marker would look like still sees its name and its own CSRF token", arguments: TestDatabase.available)
    func lookAlikeName(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "assessor").first())
            user.displayName = "评估\u{E000}c员"
            try await user.save(on: app.db)
            let s = try await app.webSession("assessor")
            for _ in 0..<2 {  // rendered, then served from the skeleton
                let page = try await app.send(.GET, "/", headers: s.headers)
                #expect(page.status == .ok)
                #expect(page.text.contains("欢迎，评估\u{E000}c员"))
                #expect(page.text.contains("name=\"_csrf\" value=\"\(s.csrf)\""))
            }
        }
    }
}
