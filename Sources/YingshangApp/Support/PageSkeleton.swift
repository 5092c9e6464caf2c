import Vapor
import LeafKit
import NIOCore

/// A page rendered once with markers where the per-visit values go (a survey link's token, the enterprise's name, the
/// CSRF token, the CSP nonce), filled per request with those values HTML-escaped exactly as Leaf's `#( )` would.
/// For pages many people open that differ only in those values: Leaf's rendering was most of their cost.
struct PageSkeleton: Sendable {
    enum Marker: Character, CaseIterable, Sendable {
        case token = "t", enterprise = "e", csrf = "c", nonce = "n"
    }

    /// The markers of one rendering: a private-use character and a random salt, so that no text the page renders
    /// (an indicator's name, an account's display name) can pass for a marker; left as they are by Leaf's escaping.
    struct Markers: Sendable {
        let lead = "\u{E000}" + UUID().uuidString + ":"
        func text(_ marker: Marker) -> String { lead + String(marker.rawValue) }
    }

    /// Text before the first marker, then each marker with the text that follows it.
    private let head: [UInt8]
    private let parts: [(marker: Marker?, tail: [UInt8])]

    init(rendered: String, markers: Markers) {
        var pieces = rendered.components(separatedBy: markers.lead)
        head = Array(pieces.removeFirst().utf8)
        parts = pieces.map { piece in
            // Every piece after a lead starts with its marker's letter (the salt makes any other text impossible).
            guard let first = piece.first, let marker = Marker(rawValue: first) else { return (nil, Array((markers.lead + piece).utf8)) }
            return (marker, Array(piece.dropFirst().utf8))
        }
    }

    init(rendered: ByteBuffer, markers: Markers) { self.init(rendered: String(buffer: rendered), markers: markers) }

    func fill(_ values: [Marker: String], allocator: ByteBufferAllocator) -> ByteBuffer {
        let escaped = values.mapValues { $0.htmlEscaped() }
        var buffer = allocator.buffer(capacity: head.count + parts.reduce(0) { $0 + $1.tail.count } + 256)
        buffer.writeBytes(head)
        for p in parts {
            if let m = p.marker { buffer.writeString(escaped[m] ?? "") }
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
