import Store

/// Reads `.fvecs`: each row is an int32 LE dimension followed by that many float32 LE. Every
/// row's dimension must equal the first row's. Rows are counted from 0, as in `.npy` files.
public final class FvecsVectorReader: VectorReader {
    public let path: String
    public let dimension: Int
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }

    private let source: ByteSource
    private let ids: IDSource
    private let rowBytes: Int
    private var row = 0
    private var finished = false
    private var scratch: [UInt8]

    /// Largest dimension accepted in the first row (a guard against reading garbage as a size).
    static let maxDimension = 1 << 20

    init(path: String, ids: IDSource, expectedDimension: Int?) throws {
        self.path = path
        self.ids = ids
        source = try ByteSource(path: path)
        let first = try source.peekBytes(4)
        if first.isEmpty {
            dimension = 0
        } else if first.count < 4 {
            // Not even row 0's dimension field.
            throw IngestError.truncatedRow(file: path, location: .row(0), offset: 0, expectedBytes: 4, gotBytes: first.count)
        } else {
            let d = Int32(littleEndian: first.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
            guard d > 0 && Int(d) <= FvecsVectorReader.maxDimension else {
                throw IngestError.malformed(file: path, location: .row(0),
                                            reason: "dimension field is \(d); expected 1...\(FvecsVectorReader.maxDimension)")
            }
            dimension = Int(d)
        }
        rowBytes = 4 + 4 * dimension
        if let expectedDimension, dimension > 0, expectedDimension != dimension {
            throw IngestError.dimensionMismatch(file: path, location: .row(0), expected: expectedDimension, got: dimension)
        }
        if let total = ids.knownTotal, source.totalBytes % Int64(rowBytes) == 0 {
            let rows = Int(source.totalBytes / Int64(rowBytes))
            if rows != total {
                throw IngestError.countMismatch(idsFile: ids.path ?? "", ids: total, vectorsFile: path, vectors: rows)
            }
        }
        let rowsPerChunk = max(1, (1 << 22) / rowBytes)
        scratch = [UInt8](repeating: 0, count: rowsPerChunk * rowBytes)
    }

    /// Rows after row `r`, estimated from the file size (for count mismatch messages).
    private func rowsAfter(_ r: Int) -> Int {
        max(0, Int((source.totalBytes - Int64(r + 1) * Int64(rowBytes)) / Int64(rowBytes)))
    }

    public func next(into batch: inout VectorBatch, maxRows: Int) throws -> Bool {
        batch.removeAll(keepingCapacity: true)
        batch.dimension = dimension
        batch.features = nil
        var wanted = max(maxRows, 1)
        while wanted > 0 && !finished {
            let k = min(wanted, scratch.count / rowBytes)
            let got = try scratch.withUnsafeMutableBytes {
                try source.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< k * rowBytes]))
            }
            let complete = got / rowBytes
            try append(rows: complete, to: &batch)
            wanted -= complete
            if complete < k {
                if got % rowBytes != 0 {
                    throw IngestError.truncatedRow(file: path, location: .row(row), offset: Int64(row) * Int64(rowBytes),
                                                   expectedBytes: rowBytes, gotBytes: got % rowBytes)
                }
                finished = true
                try ids.finish(vectorsFile: path, vectors: row)
            }
        }
        return batch.count > 0
    }

    /// Moves `n` complete rows from the scratch buffer into the batch.
    private func append(rows n: Int, to batch: inout VectorBatch) throws {
        if n == 0 { return }
        let d = dimension
        let start = batch.vectors.count
        batch.vectors.append(contentsOf: repeatElement(0, count: n * d))
        let mismatch: (row: Int, got: Int)? = scratch.withUnsafeBytes { raw in
            batch.vectors.withUnsafeMutableBufferPointer { out in
                for r in 0..<n {
                    let header = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: r * rowBytes, as: Int32.self))
                    if Int(header) != d { return (r, Int(header)) }
                    let destination = UnsafeMutableRawPointer(out.baseAddress! + start + r * d)
                    destination.copyMemory(from: raw.baseAddress! + r * rowBytes + 4, byteCount: 4 * d)
                    #if _endian(big)
                    for k in 0..<d { out[start + r * d + k] = Float(bitPattern: UInt32(littleEndian: out[start + r * d + k].bitPattern)) }
                    #endif
                }
                return nil
            }
        }
        if let mismatch {
            throw IngestError.dimensionMismatch(file: path, location: .row(row + mismatch.row), expected: d, got: mismatch.got)
        }
        let bad = batch.vectors.withUnsafeBufferPointer {
            FiniteCheck.firstNonFinite(UnsafeBufferPointer(rebasing: $0[start...]))
        }
        if let bad {
            throw IngestError.nonFinite(file: path, location: .row(row + bad / d), column: bad % d)
        }
        for r in row ..< row + n {
            batch.ids.append(try ids.idForRow(vectorsFile: path, rowsBefore: r) { rowsAfter(r) })
            batch.locations.append(.row(r))
        }
        row += n
    }
}
