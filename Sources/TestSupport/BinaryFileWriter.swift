import Foundation

/// A buffered, write-only file (created or truncated). Errors name the file and the system's reason.
final class BinaryFileWriter {
    let url: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let flushSize = 1 << 20

    init(url: URL) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw Self.failure(url, errno) }
        buffer.reserveCapacity(flushSize)
    }

    deinit {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > flushSize { try flush() }
        if bytes.count >= flushSize {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    func flush() throws {
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
    }

    /// Flushes and closes; further writes fail.
    func close() throws {
        guard descriptor >= 0 else { return }
        try flush()
        let fd = descriptor
        descriptor = -1
        if Foundation.close(fd) != 0 { throw Self.failure(url, errno) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard descriptor >= 0 else { throw TestSupportError.writeFailed(file: url.path, reason: "file already closed") }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.failure(url, errno)
            }
            offset += n
        }
    }

    private static func failure(_ url: URL, _ code: Int32) -> TestSupportError {
        .writeFailed(file: url.path, reason: String(cString: strerror(code)))
    }
}

extension Array where Element == Float {
    /// The values as little-endian bytes appended to `writer` (`.npy '<f4'` and `.fvecs` order).
    static func writeLittleEndian(_ values: UnsafeBufferPointer<Float>, to writer: BinaryFileWriter) throws {
        #if _endian(little)
        try writer.write(UnsafeRawBufferPointer(values))
        #else
        let swapped = values.map { $0.bitPattern.littleEndian }
        try swapped.withUnsafeBytes { try writer.write($0) }
        #endif
    }
}
