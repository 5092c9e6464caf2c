import Vapor
import LeafKit
import NIOCore

/// A page rendered once with markers where the per-visit values go (a survey link's token, the enterprise's name, the
/// CSRF token, the CSP nonce), filled per request with those values HTML-escaped exactly as Leaf's `#( )` would.
/// For pages many people open that differ only in those values: Leaf's rendering was most of their cost.
struct PageSkeleton: Sendable {
    /// Private-use characters: never in a template, and left as they are by Leaf's escaping.
    enum Marker: Character, CaseIterable, Sendable {
        case token = "t", enterprise = "e", csrf = "c", nonce = "n"
        static let lead: Character = "\u{E000}"
        var text: String { String(Self.lead) + String(rawValue) }
    }

    /// Text before the first marker, then each marker with the text that follows it.
    private let head: [UInt8]
    private let parts: [(marker: Marker, tail: [UInt8])]

    init(rendered: String) {
        var pieces = rendered.split(separator: Marker.lead, omittingEmptySubsequences: false)
        head = Array(pieces.removeFirst().utf8)
        parts = pieces.compactMap { piece in
            guard let first = piece.first, let marker = Marker(rawValue: first) else { return nil }
            return (marker, Array(piece.dropFirst().utf8))
        }
    }

    init(rendered: ByteBuffer) { self.init(rendered: String(buffer: rendered)) }

    func fill(_ values: [Marker: String], allocator: ByteBufferAllocator) -> ByteBuffer {
        let escaped = values.mapValues { $0.htmlEscaped() }
        var buffer = allocator.buffer(capacity: head.count + parts.reduce(0) { $0 + $1.tail.count } + 256)
        buffer.writeBytes(head)
        for p in parts {
            buffer.writeString(escaped[p.marker] ?? "")
            buffer.writeBytes(p.tail)
        }
        return buffer
    }
}

extension PageSkeleton {
    /// How a filled page is answered.
    static func html(_ buffer: ByteBuffer) -> Response {
        Response(status: .ok, headers: ["content-type": "text/html; charset=utf-8"], body: .init(buffer: buffer))
    }
}
