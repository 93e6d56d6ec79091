import Store

extension VectorBatch {
    /// Checks the row just appended to `vectors` (its values start at `start`): the first row of
    /// a text file fixes `dimension` (which must equal `expected` when given); every later row
    /// must match it; no value may be NaN or infinite.
    mutating func checkAppendedRow(from start: Int, count: Int, dimension: inout Int, expected: Int?,
                                   file: String, location: SourceLocation, emptyReason: String) throws {
        if dimension == 0 {
            if count == 0 { throw IngestError.malformed(file: file, location: location, reason: emptyReason) }
            if let expected, expected != count {
                throw IngestError.dimensionMismatch(file: file, location: location, expected: expected, got: count)
            }
            dimension = count
            self.dimension = count
        } else if count != dimension {
            throw IngestError.dimensionMismatch(file: file, location: location, expected: dimension, got: count)
        }
        let bad = vectors.withUnsafeBufferPointer { FiniteCheck.firstNonFinite(UnsafeBufferPointer(rebasing: $0[start...])) }
        if let bad { throw IngestError.nonFinite(file: file, location: location, column: bad) }
    }
}
