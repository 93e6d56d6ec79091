import VectorMath
import Store
import VectorIndex

/// The labels of one categorical item column in two directions, built once per loaded store:
/// per item, its label codes (compressed rows: `offsets[row] ..< offsets[row + 1]` into
/// `codes`); per label, the sorted item rows that carry it (postings), from which request
/// filters build their `RowBitmap`s.
public struct CategoryIndex: Sendable {
    /// The column, as declared in the store.
    public let column: FeatureColumn
    /// Label text by code.
    public let labels: [String]
    @usableFromInline let codesByLabel: [String: UInt32]
    @usableFromInline let offsets: [Int32]
    @usableFromInline let codes: [UInt32]
    @usableFromInline let postings: [[UInt32]]

    /// Builds the index from the label codes of every item row (`codesOfRow[row]`).
    public init(column: FeatureColumn, labels: [String], codesOfRow: [[UInt32]]) {
        self.column = column
        self.labels = labels
        var byLabel: [String: UInt32] = [:]
        for (code, label) in labels.enumerated() { byLabel[label] = UInt32(code) }
        codesByLabel = byLabel
        var offsets: [Int32] = [0]
        var codes: [UInt32] = []
        var postings = [[UInt32]](repeating: [], count: labels.count)
        offsets.reserveCapacity(codesOfRow.count + 1)
        for (row, rowCodes) in codesOfRow.enumerated() {
            for code in rowCodes where Int(code) < labels.count && !codes[Int(offsets.last!)...].contains(code) {
                codes.append(code)
                postings[Int(code)].append(UInt32(row))
            }
            offsets.append(Int32(codes.count))
        }
        self.offsets = offsets
        self.codes = codes
        self.postings = postings
    }

    /// Items covered (rows `0 ..< itemCount`).
    public var itemCount: Int { offsets.count - 1 }
    public var labelCount: Int { labels.count }

    /// The code of `label`, or nil when the column never had it.
    public func code(of label: String) -> UInt32? { codesByLabel[label] }

    /// Positions in `codes` of an item's labels (empty for rows past the end).
    @inlinable
    public func range(ofItem row: UInt32) -> Range<Int> {
        let r = Int(row)
        guard r + 1 < offsets.count else { return 0 ..< 0 }
        return Int(offsets[r]) ..< Int(offsets[r + 1])
    }

    /// The label code at a position of `range(ofItem:)`.
    @inlinable
    public func code(at position: Int) -> UInt32 { codes[position] }

    /// An item's label codes (allocates; hot paths use `range(ofItem:)`).
    public func codes(ofItem row: UInt32) -> [UInt32] { range(ofItem: row).map { codes[$0] } }

    /// The item rows carrying label `code`, increasing.
    public func rows(withCode code: UInt32) -> [UInt32] {
        Int(code) < postings.count ? postings[Int(code)] : []
    }

    /// The rows carrying any of `codes`, as a bitmap over `0 ..< itemCount`.
    public func bitmap<S: Sequence>(anyOf codes: S) -> RowBitmap where S.Element == UInt32 {
        var bitmap = RowBitmap(capacity: itemCount)
        for code in codes { for row in rows(withCode: code) { bitmap.insert(row) } }
        return bitmap
    }

    /// Jaccard overlap of two items' label sets (0 when both are empty).
    @inlinable
    public func jaccard(_ a: UInt32, _ b: UInt32) -> Float {
        let ra = range(ofItem: a), rb = range(ofItem: b)
        if ra.isEmpty && rb.isEmpty { return 0 }
        var shared = 0
        for i in ra {
            let c = codes[i]
            for j in rb where codes[j] == c { shared += 1; break }
        }
        return Float(shared) / Float(ra.count + rb.count - shared)
    }
}
