import Foundation

/// Upload checks for evidence and policy documents: a safe display name, an allowed type recognised by its first
/// bytes (magic numbers), and the content agreeing with the extension.
public enum EvidenceCheck {
    public enum Kind: String, Codable, Sendable {
        case pdf, png, jpeg, gif, officeOpenXML = "ooxml", ofd, legacyOffice = "ole", wps

        public var mimeType: String {
            switch self {
            case .pdf: return "application/pdf"
            case .png: return "image/png"
            case .jpeg: return "image/jpeg"
            case .gif: return "image/gif"
            case .officeOpenXML: return "application/vnd.openxmlformats-officedocument"
            case .ofd: return "application/ofd"
            case .legacyOffice, .wps: return "application/msword"
            }
        }

        /// Shown inline in the browser (images and PDF); everything else downloads.
        public var isPreviewable: Bool { self == .pdf || self == .png || self == .jpeg || self == .gif }
    }

    public enum Problem: Error, Equatable, Sendable {
        case badName
        case extensionNotAllowed(String)
        case contentMismatch(ext: String)
        case executable
        case empty
        case tooLarge(limitMB: Int)

        public var message: String {
            switch self {
            case .badName: return "文件名无效（不能包含路径、../ 或控制字符）"
            case .extensionNotAllowed(let e):
                return "不支持的文件类型 .\(e)：仅限 PDF、图片（PNG/JPG/GIF）、Office 文档（doc/docx/xls/xlsx/ppt/pptx/wps）和 OFD"
            case .contentMismatch(let e): return "文件内容与扩展名 .\(e) 不符，请上传原始文件"
            case .executable: return "文件是可执行程序，已拒绝"
            case .empty: return "文件为空"
            case .tooLarge(let mb): return "文件超过大小上限 \(mb) MB"
            }
        }
    }

    static let extensions: [String: Set<Kind>] = [
        "pdf": [.pdf], "png": [.png], "jpg": [.jpeg], "jpeg": [.jpeg], "gif": [.gif],
        "docx": [.officeOpenXML], "xlsx": [.officeOpenXML], "pptx": [.officeOpenXML], "ofd": [.ofd, .officeOpenXML],
        "doc": [.legacyOffice], "xls": [.legacyOffice], "ppt": [.legacyOffice], "wps": [.legacyOffice, .wps],
    ]

    /// The name as shown and downloaded: the last path component is not taken silently — any path is refused.
    public static func sanitizedName(_ raw: String) -> Result<String, Problem> {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200, !name.contains("/"), !name.contains("\\"), !name.contains(".."),
            !name.hasPrefix("."), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return .failure(.badName) }
        return .success(name)
    }

    public static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    /// Checks the extension before any byte is stored.
    public static func checkName(_ raw: String) -> Result<(name: String, ext: String), Problem> {
        switch sanitizedName(raw) {
        case .failure(let p): return .failure(p)
        case .success(let name):
            let ext = fileExtension(name)
            guard extensions[ext] != nil else { return .failure(.extensionNotAllowed(ext)) }
            return .success((name, ext))
        }
    }

    /// Recognises the content from its first bytes (at least 8) and checks it against the extension.
    public static func checkContent(head: [UInt8], ext: String) -> Result<Kind, Problem> {
        guard !head.isEmpty else { return .failure(.empty) }
        func starts(_ sig: [UInt8]) -> Bool { head.count >= sig.count && Array(head.prefix(sig.count)) == sig }
        if starts([0x4D, 0x5A]) || starts([0x7F, 0x45, 0x4C, 0x46]) || starts([0xCF, 0xFA, 0xED, 0xFE])
            || starts([0x23, 0x21])
        {
            return .failure(.executable)  // PE (MZ), ELF, Mach-O, scripts (#!)
        }
        let kind: Kind?
        if starts(Array("%PDF".utf8)) {
            kind = .pdf
        } else if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            kind = .png
        } else if starts([0xFF, 0xD8, 0xFF]) {
            kind = .jpeg
        } else if starts(Array("GIF8".utf8)) {
            kind = .gif
        } else if starts([0x50, 0x4B, 0x03, 0x04]) {
            kind = ext == "ofd" ? .ofd : .officeOpenXML
        } else if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            kind = .legacyOffice
        } else {
            kind = nil
        }
        guard let kind, extensions[ext]?.contains(kind) == true else { return .failure(.contentMismatch(ext: ext)) }
        return .success(kind)
    }
}
