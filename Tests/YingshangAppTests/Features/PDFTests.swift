import Foundation
import Testing

@testable import YingshangApp

#if canImport(Glibc)
import Glibc
#endif

/// The running browser behind report and dispatch PDFs: reused between documents, replaced when it dies.
@Suite("PDF through a running headless Chromium", .enabled(if: PDFRenderer.chromiumPath() != nil), .serialized)
struct PDFTests {
    static let html = """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page { size: A4 } .p { page-break-after: always }</style></head>
        <body><h1 class="p">营商环境评价报告</h1><p>第二页 PDF-CHECK</p></body></html>
        """

    private func text(of pdf: Data) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext") else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-test-\(UUID().uuidString).pdf")
        try pdf.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        p.arguments = [file.path, "-"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func oneBrowserServesSuccessiveDocumentsAndIsReplacedWhenItDies() async throws {
        let chromium = try #require(PDFRenderer.chromiumPath())
        let first = try await PDFRenderer.render(html: Self.html, chromium: chromium)
        #expect(first.starts(with: Array("%PDF".utf8)))
        let pid = try #require(await HeadlessBrowser.pool.runningPID(), "the first PDF should leave a browser running")
        if let t = try text(of: first) {
            #expect(t.contains("PDF-CHECK"))
            // Two pages: the page break was honoured, as the report's chapters need.
            #expect(t.components(separatedBy: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.count == 2)
        }

        let second = try await PDFRenderer.render(html: Self.html.replacingOccurrences(of: "PDF-CHECK", with: "SECOND-DOC"), chromium: chromium)
        #expect(await HeadlessBrowser.pool.runningPID() == pid, "the second document reuses the running browser")
        if let t = try text(of: second) {
            #expect(t.contains("SECOND-DOC"))
            #expect(!t.contains("PDF-CHECK"), "a tab must not show the previous document")
        }

        // The browser is killed (out of memory, an operator): the next document still comes out, from a new browser.
        kill(pid, SIGKILL)
        for _ in 0..<50 where await HeadlessBrowser.pool.runningPID() == pid { try await Task.sleep(for: .milliseconds(100)) }
        let third = try await PDFRenderer.render(html: Self.html, chromium: chromium)
        #expect(third.starts(with: Array("%PDF".utf8)))
        let replaced = await HeadlessBrowser.pool.runningPID()
        #expect(replaced != nil && replaced != pid)
    }

    @Test func aMissingBrowserBinaryFailsWithTheUsersMessage() async throws {
        await #expect(throws: AppError.self) {
            _ = try await PDFRenderer.render(html: Self.html, chromium: "/nonexistent/chromium")
        }
    }
}
