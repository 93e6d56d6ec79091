#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read front to back through one fixed buffer with read(2): memory stays at the chunk
/// size (or the longest line) whatever the file size.
///
/// Lines are handed to a closure as bytes without the line feed (and without a carriage return
/// before it); the bytes are valid only inside that closure. The byte after a line's content is
/// always readable (a `\r`, `\n` or a written 0), so scanners may look one byte past the end.
@usableFromInline
final class ByteSource {
    let path: String
    /// The file size from fstat (0 for pipes and other unsized files).
    let totalBytes: Int64
    /// Lines longer than this are refused rather than buffered.
    static let maxLineBytes = 1 << 28

    private let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var fileOffset: Int64 = 0
    private var atEOF = false
    /// The 1-based number of the last line handed out by `nextLine`.
    private(set) var lineNumber = 0

    /// Bytes consumed by the caller so far.
    var bytesConsumed: Int64 { fileOffset - Int64(end - start) }

    init(path: String, chunkSize: Int = 1 << 22) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw IngestError.cannotOpen(file: path, reason: ByteSource.errnoText()) }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let reason = ByteSource.errnoText()
            close(fd)
            throw IngestError.cannotOpen(file: path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw IngestError.cannotOpen(file: path, reason: "is a directory")
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        self.fd = fd
        self.totalBytes = (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : 0
        self.capacity = max(chunkSize, 64)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + 1, alignment: 64)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// Appends bytes from the file to the buffer; returns how many (0 at end of file).
    private func refill() throws -> Int {
        if start > 0 {
            if end > start { memmove(buffer, buffer + start, end - start) }
            end -= start
            start = 0
        }
        if end == capacity { return -1 }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 {
                end += n
                fileOffset += Int64(n)
                return n
            }
            if n == 0 { atEOF = true; return 0 }
            if errno == EINTR { continue }
            throw IngestError.readFailed(file: path, reason: ByteSource.errnoText())
        }
    }

    private func grow() throws {
        if capacity >= ByteSource.maxLineBytes {
            throw IngestError.malformed(file: path, location: .line(lineNumber + 1),
                                        reason: "line is longer than \(ByteSource.maxLineBytes) bytes")
        }
        let bigger = min(capacity * 2, ByteSource.maxLineBytes)
        let newBuffer = UnsafeMutableRawPointer.allocate(byteCount: bigger + 1, alignment: 64)
        newBuffer.copyMemory(from: buffer + start, byteCount: end - start)
        buffer.deallocate()
        buffer = newBuffer
        end -= start
        start = 0
        capacity = bigger
    }

    /// Hands the next line to `body`, or returns nil at the end of the file. A last line without
    /// a line feed is still a line; an empty file has no lines.
    func nextLine<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var searchFrom = start
        while true {
            if end > searchFrom, let hit = memchr(buffer + searchFrom, 10, end - searchFrom) {
                let newline = buffer.distance(to: UnsafeMutableRawPointer(hit))
                var contentEnd = newline
                if contentEnd > start && buffer.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 13 {
                    contentEnd -= 1
                }
                var lineStart = start
                start = newline + 1
                lineNumber += 1
                if lineNumber == 1 { lineStart = skipByteOrderMark(lineStart, contentEnd) }
                return try body(UnsafeRawBufferPointer(start: buffer + lineStart, count: contentEnd - lineStart))
            }
            if atEOF {
                if start == end { return nil }
                var contentEnd = end
                if buffer.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 13 { contentEnd -= 1 }
                buffer.storeBytes(of: 0, toByteOffset: end, as: UInt8.self)
                var lineStart = start
                start = end
                lineNumber += 1
                if lineNumber == 1 { lineStart = skipByteOrderMark(lineStart, contentEnd) }
                return try body(UnsafeRawBufferPointer(start: buffer + lineStart, count: contentEnd - lineStart))
            }
            let searched = end - start
            if try refill() < 0 {
                try grow()
                _ = try refill()
            }
            searchFrom = start + searched
        }
    }

    /// The start of the first line after a UTF-8 byte order mark, if it has one.
    private func skipByteOrderMark(_ lineStart: Int, _ contentEnd: Int) -> Int {
        if contentEnd - lineStart >= 3 && buffer.load(fromByteOffset: lineStart, as: UInt8.self) == 0xEF
            && buffer.load(fromByteOffset: lineStart + 1, as: UInt8.self) == 0xBB
            && buffer.load(fromByteOffset: lineStart + 2, as: UInt8.self) == 0xBF {
            return lineStart + 3
        }
        return lineStart
    }

    /// Fills `destination` from the file; returns the number of bytes stored, which is less than
    /// `destination.count` only at the end of the file.
    func readBytes(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = destination.baseAddress else { return 0 }
        var done = 0
        let want = destination.count
        while done < want {
            if end > start {
                let n = min(end - start, want - done)
                (base + done).copyMemory(from: buffer + start, byteCount: n)
                start += n
                done += n
                continue
            }
            if atEOF { break }
            if want - done >= capacity / 2 {
                // Large reads go straight into the destination.
                let n = read(fd, base + done, want - done)
                if n > 0 {
                    done += n
                    fileOffset += Int64(n)
                } else if n == 0 {
                    atEOF = true
                } else if errno != EINTR {
                    throw IngestError.readFailed(file: path, reason: ByteSource.errnoText())
                }
            } else {
                _ = try refill()
            }
        }
        return done
    }

    /// The next `count` bytes (fewer at the end of the file) without consuming them.
    func peekBytes(_ count: Int) throws -> [UInt8] {
        while end - start < count && !atEOF {
            if try refill() < 0 { break }
        }
        let n = min(count, end - start)
        return Array(UnsafeRawBufferPointer(start: buffer + start, count: n))
    }

    /// Counts the lines that remain and hold more than spaces and tabs.
    func countRemainingNonBlankLines() throws -> Int {
        var count = 0
        while let blank = try nextLine({ ByteSource.isBlank($0) }) {
            if !blank { count += 1 }
        }
        return count
    }

    /// True when the bytes are only spaces and tabs (or none).
    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte != 32 && byte != 9 { return false }
        return true
    }
}
