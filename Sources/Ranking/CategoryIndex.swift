import VectorMath
import Store
import VectorIndex

/// The labels of one categorical item column in two directions, built once per loaded store:
/// per item, its label codes; per label, the sorted item rows that carry it (postings), from
/// which request filters build their `RowBitmap`s.
///
/// The per-item codes are kept in chunks of `chunkRows` rows, each one array: the chunk's
/// `rows + 1` boundaries, then its codes (row j's codes are `chunk[chunk[j] ..< chunk[j + 1]]`).
/// An online write rebuilds only the chunks of the rows it touched; the others are shared with
/// the index it updates.
public struct CategoryIndex: Sendable {
    /// The column, as declared in the store.
    public let column: FeatureColumn
    /// Label text by code.
    public let labels: [String]
    @usableFromInline let codesByLabel: [String: UInt32]
    @usableFromInline let chunks: [[UInt32]]
    /// Items covered (rows `0 ..< itemCount`).
    public let itemCount: Int
    @usableFromInline let postings: [[UInt32]]

    @usableFromInline static var chunkShift: Int { 12 }
    static var chunkRows: Int { 1 << chunkShift }

    /// Builds the index from the label codes of every item row (`codesOfRow[row]`).
    public init(column: FeatureColumn, labels: [String], codesOfRow: [[UInt32]]) {
        self.column = column
        self.labels = labels
        var byLabel: [String: UInt32] = [:]
        for (code, label) in labels.enumerated() { byLabel[label] = UInt32(code) }
        codesByLabel = byLabel
        var postings = [[UInt32]](repeating: [], count: labels.count)
        var chunks: [[UInt32]] = []
        var first = 0
        while first < codesOfRow.count {
            let end = min(first + Self.chunkRows, codesOfRow.count)
            chunks.append(Self.chunk(rows: end - first) { j in
                let codes = Self.kept(codesOfRow[first + j], labelCount: labels.count)
                for c in codes { postings[Int(c)].append(UInt32(first + j)) }
                return codes
            })
            first = end
        }
        self.chunks = chunks
        itemCount = codesOfRow.count
        self.postings = postings
    }

    /// `old` with more labels (`labels` extends `old.labels`), rows up to `itemCount` (at least
    /// `old.itemCount`), and the rows `rows` carrying `codes[i]` instead: equal to building it
    /// from scratch, in time proportional to the chunks those rows fall in (and the new rows'),
    /// plus the postings of the labels that rows left or joined.
    public init(updating old: CategoryIndex, column: FeatureColumn, labels: [String], itemCount: Int,
                rows: [UInt32], codes newCodes: [[UInt32]]) {
        precondition(itemCount >= old.itemCount, "CategoryIndex(updating:): \(itemCount) rows, fewer than the \(old.itemCount) before")
        if rows.isEmpty && itemCount == old.itemCount && labels.count == old.labels.count {
            self = old  // a write that touched no item (users, histories): the same arrays, not copies
            return
        }
        // Each touched row's codes as a build would keep them (the last, when a row repeats).
        var touched: [Int: [UInt32]] = [:]
        for (i, row) in rows.enumerated() where Int(row) < itemCount { touched[Int(row)] = Self.kept(newCodes[i], labelCount: labels.count) }
        let covered = old.itemCount
        var chunkNumbers = Set(touched.keys.map { $0 >> Self.chunkShift })
        if itemCount > covered {
            for c in (covered >> Self.chunkShift) ... ((itemCount - 1) >> Self.chunkShift) { chunkNumbers.insert(c) }
        }
        var chunks = old.chunks
        var postings = old.postings + [[UInt32]](repeating: [], count: labels.count - old.labels.count)
        // Rows leaving or joining a label, increasing per label (chunks and rows in order).
        var leaving: [UInt32: [UInt32]] = [:], joining: [UInt32: [UInt32]] = [:]
        for c in chunkNumbers.sorted() {
            let first = c << Self.chunkShift
            let end = min(first + Self.chunkRows, itemCount)
            let oldChunk = c < old.chunks.count ? old.chunks[c] : []
            let rebuilt = Self.chunk(rows: end - first) { j -> [UInt32] in
                let row = first + j
                let before = row < covered ? Array(oldChunk[Int(oldChunk[j]) ..< Int(oldChunk[j + 1])]) : []
                guard let after = touched[row] else { return before }
                for code in before where !after.contains(code) { leaving[code, default: []].append(UInt32(row)) }
                for code in after where !before.contains(code) { joining[code, default: []].append(UInt32(row)) }
                return after
            }
            if c < chunks.count { chunks[c] = rebuilt } else { chunks.append(rebuilt) }
        }
        for label in Set(leaving.keys).union(joining.keys) {
            var list = postings[Int(label)]
            if let gone = leaving[label] { list = Self.difference(list, gone) }
            if let added = joining[label] { list = Self.merged(list, added) }
            postings[Int(label)] = list
        }
        self.column = column
        self.labels = labels
        var byLabel = old.codesByLabel
        for code in old.labels.count ..< labels.count { byLabel[labels[code]] = UInt32(code) }
        codesByLabel = byLabel
        self.chunks = chunks
        self.itemCount = itemCount
        self.postings = postings
    }

    /// One chunk of `rows` rows: boundaries, then the codes `codes(j)` gives for each row j.
    private static func chunk(rows: Int, _ codes: (Int) -> [UInt32]) -> [UInt32] {
        var chunk = [UInt32](repeating: 0, count: rows + 1)
        chunk[0] = UInt32(rows + 1)
        for j in 0 ..< rows {
            chunk.append(contentsOf: codes(j))
            chunk[j + 1] = UInt32(chunk.count)
        }
        return chunk
    }

    /// The codes a row keeps: known labels, first occurrence only, in the order given.
    private static func kept(_ codes: [UInt32], labelCount: Int) -> [UInt32] {
        var out: [UInt32] = []
        for c in codes where Int(c) < labelCount && !out.contains(c) { out.append(c) }
        return out
    }

    /// `a` without the rows of `b` (both increasing).
    private static func difference(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            while j < b.count && b[j] < x { j += 1 }
            if j < b.count && b[j] == x { continue }
            out.append(x)
        }
        return out
    }

    /// The rows of `a` and `b` (both increasing, disjoint), increasing.
    private static func merged(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        return out
    }

    public var labelCount: Int { labels.count }

    /// The code of `label`, or nil when the column never had it.
    public func code(of label: String) -> UInt32? { codesByLabel[label] }

    /// Positions of an item's labels, for `code(at:)` (empty for rows past the end): the
    /// chunk's number in the high 32 bits, the place in the chunk in the low ones.
    @inlinable
    public func range(ofItem row: UInt32) -> Range<Int> {
        let r = Int(row)
        guard r < itemCount else { return 0 ..< 0 }
        let c = r >> Self.chunkShift, j = r & ((1 << Self.chunkShift) - 1)
        let base = c << 32
        return base + Int(chunks[c][j]) ..< base + Int(chunks[c][j + 1])
    }

    /// The label code at a position of `range(ofItem:)`.
    @inlinable
    public func code(at position: Int) -> UInt32 { chunks[position >> 32][position & 0xFFFF_FFFF] }

    /// An item's label codes (allocates; hot paths use `range(ofItem:)`).
    public func codes(ofItem row: UInt32) -> [UInt32] { range(ofItem: row).map { code(at: $0) } }

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
            let c = code(at: i)
            for j in rb where code(at: j) == c { shared += 1; break }
        }
        return Float(shared) / Float(ra.count + rb.count - shared)
    }
}
