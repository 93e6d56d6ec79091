import Foundation

/// Writes a 2-D float32 `.npy` file (format 1.0, `'<f4'`, C order) row by row: the header
/// carries the final shape, then rows are appended; `finish()` checks the count.
public final class NpyWriter {
    public let url: URL
    public let rows: Int
    public let columns: Int
    public private(set) var rowsWritten = 0
    private let file: BinaryFileWriter

    /// Creates (or truncates) the file and writes the header for `rows x columns`.
    public init(url: URL, rows: Int, columns: Int) throws {
        try TestSupportError.check(rows >= 0, "rows", rows, ">= 0")
        try TestSupportError.check(columns > 0, "columns", columns, "> 0")
        self.url = url
        self.rows = rows
        self.columns = columns
        file = try BinaryFileWriter(url: url)
        try file.write(Self.header(rows: rows, columns: columns))
    }

    /// The header bytes: magic, version 1.0, length, dict padded with spaces to a multiple of 64.
    public static func header(rows: Int, columns: Int) -> [UInt8] {
        var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }".utf8)
        let prefix = 10  // magic (6) + version (2) + header length (2)
        let total = (prefix + dict.count + 1 + 63) / 64 * 64
        dict += [UInt8](repeating: 0x20, count: total - prefix - dict.count - 1)
        dict.append(0x0A)
        let length = UInt16(dict.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + dict
    }

    /// Appends one row of `columns` values.
    public func append(_ row: [Float]) throws {
        guard row.count == columns else {
            throw TestSupportError.dimensionMismatch(file: url.path, expected: columns, got: row.count)
        }
        try row.withUnsafeBufferPointer { try append(rows: $0) }
    }

    /// Appends whole rows (`values.count` a multiple of `columns`).
    public func append(rows values: UnsafeBufferPointer<Float>) throws {
        guard values.count % columns == 0 else {
            throw TestSupportError.dimensionMismatch(file: url.path, expected: columns, got: values.count % columns)
        }
        let added = values.count / columns
        guard rowsWritten + added <= rows else {
            throw TestSupportError.rowCountMismatch(file: url.path, expected: rows, got: rowsWritten + added)
        }
        try [Float].writeLittleEndian(values, to: file)
        rowsWritten += added
    }

    /// Flushes and closes; throws `rowCountMismatch` if fewer rows than announced were written.
    public func finish() throws {
        try file.close()
        guard rowsWritten == rows else {
            throw TestSupportError.rowCountMismatch(file: url.path, expected: rows, got: rowsWritten)
        }
    }

    /// Writes a whole row-major matrix.
    public static func write(_ values: [Float], columns: Int, to url: URL) throws {
        try TestSupportError.check(columns > 0 && values.count % columns == 0, "columns", columns, "> 0 and dividing \(values.count)")
        let writer = try NpyWriter(url: url, rows: values.count / columns, columns: columns)
        try values.withUnsafeBufferPointer { try writer.append(rows: $0) }
        try writer.finish()
    }
}
