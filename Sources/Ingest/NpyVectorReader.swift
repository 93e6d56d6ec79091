import Store

/// Reads a 2-D C-order `.npy` of '<f4' (straight into the batch), '<f2' or '<f8' (converted to
/// Float; a '<f8' value beyond Float's range becomes infinite and is reported as non-finite).
public final class NpyVectorReader: VectorReader {
    public let path: String
    public let dimension: Int
    /// Rows in the file, from the header.
    public let rowCount: Int
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }

    private let source: ByteSource
    private let ids: IDSource
    private let type: NpyHeader.ElementType
    private let dataOffset: Int64
    private var row = 0
    private var finished = false
    private var scratch: [UInt8] = []

    init(path: String, ids: IDSource, expectedDimension: Int?) throws {
        self.path = path
        self.ids = ids
        source = try ByteSource(path: path)
        let header = try NpyHeader.read(from: source)
        type = try header.elementType(accepting: [.float32, .float16, .float64], file: path)
        try header.requireCOrder(file: path)
        guard header.shape.count == 2 else {
            throw IngestError.unsupportedNpy(file: path, field: "shape", expected: "a 2-D array (rows, dimension)",
                                             got: header.shapeText)
        }
        guard header.shape[1] > 0 else {
            throw IngestError.unsupportedNpy(file: path, field: "shape", expected: "a dimension of at least 1",
                                             got: header.shapeText)
        }
        rowCount = header.shape[0]
        dimension = header.shape[1]
        dataOffset = Int64(header.dataOffset)
        if let expectedDimension, expectedDimension != dimension {
            throw IngestError.dimensionMismatch(file: path, location: .row(0), expected: expectedDimension, got: dimension)
        }
        let expected = dataOffset + Int64(rowCount) * Int64(dimension) * Int64(type.size)
        if source.totalBytes > 0 && source.totalBytes < expected {
            throw IngestError.truncatedRows(file: path, declared: rowCount, rowBytes: dimension * type.size,
                                            dataOffset: dataOffset, fileBytes: source.totalBytes)
        }
        if source.totalBytes > expected {
            throw IngestError.malformed(file: path, location: .row(rowCount),
                                        reason: "\(source.totalBytes - expected) bytes follow the \(rowCount) rows the header declares")
        }
        if let total = ids.knownTotal, total != rowCount {
            throw IngestError.countMismatch(idsFile: ids.path ?? "", ids: total, vectorsFile: path, vectors: rowCount)
        }
        if type != .float32 { scratch = [UInt8](repeating: 0, count: 1 << 20) }
    }

    public func next(into batch: inout VectorBatch, maxRows: Int) throws -> Bool {
        batch.removeAll(keepingCapacity: true)
        batch.dimension = dimension
        batch.features = nil
        if row >= rowCount {
            try finishOnce()
            return false
        }
        let n = min(max(maxRows, 1), rowCount - row)
        let floats = n * dimension
        batch.vectors.append(contentsOf: repeatElement(0, count: floats))
        let firstRow = row
        var overflow: (index: Int, value: Double)?
        let bad: Int? = try batch.vectors.withUnsafeMutableBufferPointer { buffer in
            switch type {
            case .float32:
                let raw = UnsafeMutableRawBufferPointer(buffer)
                let got = try source.readBytes(into: raw)
                if got < raw.count { throw truncation(readInThisCall: got) }
                #if _endian(big)
                for k in 0..<floats { buffer[k] = Float(bitPattern: UInt32(littleEndian: buffer[k].bitPattern)) }
                #endif
            case .float16, .float64:
                overflow = try convert(into: buffer)
            default:
                break
            }
            return FiniteCheck.firstNonFinite(UnsafeBufferPointer(buffer))
        }
        if let bad {
            if let overflow, overflow.index == bad {
                throw IngestError.malformed(file: path, location: .row(firstRow + bad / dimension),
                                            reason: "vector component \(bad % dimension) (0-based) is \(overflow.value), beyond float32's range (+-3.4e38)")
            }
            throw IngestError.nonFinite(file: path, location: .row(firstRow + bad / dimension), column: bad % dimension)
        }
        for r in firstRow ..< firstRow + n {
            batch.ids.append(try ids.idForRow(vectorsFile: path, rowsBefore: r) { rowCount - r - 1 })
            batch.locations.append(.row(r))
        }
        row += n
        if row == rowCount { try finishOnce() }
        return true
    }

    private func finishOnce() throws {
        if finished { return }
        finished = true
        try ids.finish(vectorsFile: path, vectors: rowCount)
    }

    private func truncation(readInThisCall got: Int) -> IngestError {
        let expected = dataOffset + Int64(rowCount) * Int64(dimension) * Int64(type.size)
        let have = dataOffset + Int64(row) * Int64(dimension) * Int64(type.size) + Int64(got)
        return IngestError.truncated(file: path, expectedBytes: expected, gotBytes: have)
    }

    /// Reads `destination.count` '<f2' or '<f8' values through the scratch buffer. Returns the
    /// first float64 that is finite but beyond float32's range (its index and value), if any.
    private func convert(into destination: UnsafeMutableBufferPointer<Float>) throws -> (index: Int, value: Double)? {
        var overflow: (index: Int, value: Double)?
        let size = type.size
        let perChunk = scratch.count / size
        var done = 0
        while done < destination.count {
            let n = min(perChunk, destination.count - done)
            let got = try scratch.withUnsafeMutableBytes {
                try source.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< n * size]))
            }
            if got < n * size { throw truncation(readInThisCall: done * size + got) }
            scratch.withUnsafeBytes { raw in
                if type == .float16 {
                    for k in 0..<n {
                        destination[done + k] = Half.toFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)))
                    }
                } else {
                    for k in 0..<n {
                        let value = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)))
                        let narrowed = Float(value)
                        if !narrowed.isFinite, overflow == nil, value.isFinite { overflow = (done + k, value) }
                        destination[done + k] = narrowed
                    }
                }
            }
            done += n
        }
        return overflow
    }
}

/// IEEE half precision to Float.
enum Half {
    @inline(__always)
    static func toFloat(_ bits: UInt16) -> Float {
        #if !(os(macOS) && arch(x86_64))
        return Float(Float16(bitPattern: bits))
        #else
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
        #endif
    }
}
