import Foundation

/// Writes the `.fvecs` format of the ANN benchmarks: each row is a little-endian Int32
/// dimension followed by that many float32 values. Also writes `.ivecs` (ground-truth lists).
public final class FvecsWriter {
    public let url: URL
    public let dimension: Int
    public private(set) var rowsWritten = 0
    private let file: BinaryFileWriter

    /// Creates (or truncates) the file.
    public init(url: URL, dimension: Int) throws {
        try TestSupportError.check(dimension > 0 && dimension <= Int(Int32.max), "dimension", dimension, "1...\(Int32.max)")
        self.url = url
        self.dimension = dimension
        file = try BinaryFileWriter(url: url)
    }

    /// Appends one row of `dimension` values.
    public func append(_ row: [Float]) throws {
        guard row.count == dimension else {
            throw TestSupportError.dimensionMismatch(file: url.path, expected: dimension, got: row.count)
        }
        try row.withUnsafeBufferPointer { try append(rows: $0) }
    }

    /// Appends whole rows (`values.count` a multiple of `dimension`).
    public func append(rows values: UnsafeBufferPointer<Float>) throws {
        guard values.count % dimension == 0 else {
            throw TestSupportError.dimensionMismatch(file: url.path, expected: dimension, got: values.count % dimension)
        }
        var start = 0
        while start < values.count {
            try writeLength(dimension)
            try [Float].writeLittleEndian(UnsafeBufferPointer(rebasing: values[start..<(start + dimension)]), to: file)
            start += dimension
            rowsWritten += 1
        }
    }

    /// Flushes and closes.
    public func finish() throws {
        try file.close()
    }

    private func writeLength(_ n: Int) throws {
        var length = Int32(n).littleEndian
        try withUnsafeBytes(of: &length) { try file.write($0) }
    }

    /// Writes one `.ivecs` row per list (lists may differ in length).
    public static func writeIvecs(_ lists: [[UInt32]], to url: URL) throws {
        let file = try BinaryFileWriter(url: url)
        for list in lists {
            let row = [UInt32(list.count).littleEndian] + list.map { $0.littleEndian }
            try row.withUnsafeBytes { try file.write($0) }
        }
        try file.close()
    }
}
